"""sqla-wrapper's ``db.test_transaction()``: close() rolls back the test's work, whatever it committed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from datalayer import Database, UnitOfWork
from datalayer.testing import TestTransaction
from tests.conftest import Env


def rows_seen_by_a_fresh_connection(db: Database, model: type[object]) -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


def emails(db: Database, env: Env) -> list[str]:
    return sorted(user.email for user in db.s.all(env.models.User))


@pytest.mark.parametrize("savepoint", [False, True])
def test_close_rolls_back_what_every_session_of_the_database_committed(env: Env, savepoint: bool) -> None:
    db, User = env.db, env.models.User
    tt = db.test_transaction(savepoint=savepoint)
    db.s.create(User, email="a@x.org")
    db.s.commit()
    with db.Session() as dbs:  # a session of its own, which sqla-wrapper's left out
        dbs.create(User, email="b@x.org")
        dbs.commit()
    with UnitOfWork(db) as uow:
        uow.repository(User).create(email="c@x.org")
    assert emails(db, env) == ["a@x.org", "b@x.org", "c@x.org"]
    assert rows_seen_by_a_fresh_connection(db, User) == 0
    tt.close()
    assert rows_seen_by_a_fresh_connection(db, User) == 0


@pytest.mark.parametrize("savepoint", [False, True])
def test_a_rollback_in_the_code_under_test_never_ends_the_test_transaction(env: Env, savepoint: bool) -> None:
    # sqla-wrapper's savepoint=False rolled the test's transaction back here, and committed what followed.
    db, User = env.db, env.models.User
    tt = db.test_transaction(savepoint)
    db.s.create(User, email="kept@x.org")
    db.s.commit()
    db.s.create(User, email="undone@x.org")
    db.s.rollback()
    db.s.create(User, email="after@x.org")
    db.s.commit()
    assert emails(db, env) == ["after@x.org", "kept@x.org"]
    tt.close()
    assert rows_seen_by_a_fresh_connection(db, User) == 0


def test_it_holds_the_connection_and_db_s_session_and_closes_once_as_a_context_manager(env: Env) -> None:
    db, User = env.db, env.models.User
    with db.test_transaction() as tt:
        assert isinstance(tt, TestTransaction) and tt.savepoint is False
        assert tt.session is db.s() and tt.session.bind is tt.connection
        tt.session.create(User, email="a@x.org")
        assert tt.connection.execute(select(func.count()).select_from(User)).scalar_one() == 1
        tt.close()
        assert tt.connection.closed
    with db.Session() as dbs:  # the factory is the engine's again: this commits for real
        assert dbs.bind is db.engine and dbs.all(User) == []
        dbs.create(User, email="b@x.org")
        dbs.commit()
    assert rows_seen_by_a_fresh_connection(db, User) == 1


def test_sqla_wrappers_class_is_made_the_same_way() -> None:
    db = Database("sqlite://")
    tt = TestTransaction(db, savepoint=True)
    try:
        assert tt.savepoint is True and db.Session.kw["bind"] is tt.connection
    finally:
        tt.close()
    assert db.Session.kw["bind"] is db.engine
    db.dispose()


def test_a_sqla_wrapper_suite_runs_unchanged_with_its_fixtures_and_its_test_cases(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        app=(
            "from sqlalchemy.orm import Mapped, mapped_column\n"
            "from datalayer import Database\n"
            "db = Database(name='app.db')\n"
            "class Note(db.Model):\n"
            "    __tablename__ = 'notes'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        ),
        conftest=(
            "import pytest\n"
            "from app import db\n"
            "@pytest.fixture(scope='session')\n"
            "def dbsetup():\n"
            "    db.create_all()\n"
            "    yield\n"
            "    db.drop_all()\n"
            "@pytest.fixture\n"
            "def dbs(dbsetup):\n"
            "    trans = db.test_transaction()\n"
            "    yield db.s\n"
            "    trans.close()\n"
        ),
        test_notes=(
            "import unittest\n"
            "from app import Note, db\n"
            "from datalayer.testing import TestTransaction\n"  # not collected as a test class
            "def test_one(dbs):\n"
            "    dbs.add(Note())\n"
            "    dbs.commit()\n"
            "    assert len(dbs.all(Note)) == 1\n"
            "def test_two(dbs):\n"
            "    dbs.add(Note())\n"
            "    dbs.commit()\n"
            "    assert len(dbs.all(Note)) == 1\n"
            "class NoteTestCase(unittest.TestCase):\n"
            "    def setUp(self):\n"
            "        db.create_all()\n"
            "        self._trans = TestTransaction(db, savepoint=True)\n"
            "    def tearDown(self):\n"
            "        self._trans.close()\n"
            "    def test_three(self):\n"
            "        db.s.add(Note())\n"
            "        db.s.commit()\n"
            "        assert len(db.s.all(Note)) == 1\n"
        ),
    )
    pytester.syspathinsert()
    result = pytester.runpytest_subprocess(
        "-p", "no:asyncio", "-p", "no:randomly", "-p", "no:cacheprovider", "-W", "error"
    )
    result.assert_outcomes(passed=3)
