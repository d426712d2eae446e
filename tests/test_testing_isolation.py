"""The plugin's transactional isolation: code under test commits and rolls back, nothing leaks."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from datalayer import Database, Session, UnitOfWork
from datalayer.errors import UsageError
from datalayer.testing import isolated
from repositories import Repository
from tests.conftest import Env

PROBE = "isolation-probe@x.org"


class Boom(Exception):
    """An error of the code under test."""


def rows_seen_by_a_fresh_connection(db: Database, table: str) -> int:
    with db.engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(db.metadata.tables[table])).scalar_one()
        )


def test_a_unit_of_work_that_commits_releases_a_savepoint_that_the_test_sees(
    env: Env, datalayer_db: Database, db_session: Session
) -> None:
    with UnitOfWork(datalayer_db) as uow:
        uow.repository(env.m.User).create(email="a@x.org")
    assert Repository(db_session, env.m.User).exists(email="a@x.org")
    assert datalayer_db.s.first(env.m.User, email="a@x.org") is not None
    assert rows_seen_by_a_fresh_connection(datalayer_db, "t_users") == 0


def test_code_under_test_that_rolls_back_keeps_the_tests_fixtures(
    env: Env, datalayer_db: Database, db_session: Session
) -> None:
    fixture_user = env.f.User()
    with pytest.raises(Boom), UnitOfWork(datalayer_db) as uow:
        uow.repository(env.m.User).create(email="undone@x.org")
        raise Boom
    datalayer_db.s.create(env.m.User, email="also-undone@x.org")
    datalayer_db.s.rollback()
    users = Repository(db_session, env.m.User)
    assert [u.email for u in users.all()] == [fixture_user.email]
    assert users.get(fixture_user.id) is fixture_user


def test_the_scoped_session_can_commit_and_be_removed_inside_a_test(env: Env, datalayer_db: Database) -> None:
    datalayer_db.s.create(env.m.User, email="a@x.org")
    datalayer_db.s.commit()
    datalayer_db.s.remove()
    assert datalayer_db.s.first(env.m.User, email="a@x.org") is not None
    assert rows_seen_by_a_fresh_connection(datalayer_db, "t_users") == 0


def test_create_or_first_inside_a_test_undoes_only_its_insert(env: Env, db_session: Session) -> None:
    existing = env.f.User(email="taken@x.org")
    other = env.f.User()
    assert db_session.create_or_first(env.m.User, email="taken@x.org") is existing
    assert Repository(db_session, env.m.User).count() == 2 and other in db_session


def test_a_test_that_commits_leaves_nothing_for_the_next_part_one(env: Env, datalayer_db: Database) -> None:
    with UnitOfWork(datalayer_db) as uow:
        uow.repository(env.m.User).create(email=PROBE)
    datalayer_db.s.create(env.m.Tag, label=PROBE)
    datalayer_db.s.commit()


def test_a_test_that_commits_leaves_nothing_for_the_next_part_two(env: Env, db_session: Session) -> None:
    # Run in random order with part one: passes only if part one's commits were undone.
    assert not Repository(db_session, env.m.User).exists(email=PROBE)
    assert not Repository(db_session, env.m.Tag).exists(label=PROBE)


def test_isolated_leaves_the_database_as_it_was(env: Env) -> None:
    with isolated(env.db):
        with UnitOfWork(env.db) as uow:
            uow.repository(env.m.User).create(email="a@x.org")
        env.db.s.create(env.m.User, email="b@x.org")
        env.db.s.commit()
        with env.db.Session() as dbs:
            assert len(dbs.all(env.m.User)) == 2
    assert rows_seen_by_a_fresh_connection(env.db, "t_users") == 0
    with env.db.Session() as dbs:  # the factory is bound to the engine again
        assert dbs.get_bind() is env.db.engine


def test_committing_db_commits_for_real(env: Env, committing_db: Database) -> None:
    with UnitOfWork(committing_db) as uow:
        uow.repository(env.m.User).create(email="real@x.org")
    env.f.Tag(label="committed by a factory")
    assert rows_seen_by_a_fresh_connection(committing_db, "t_users") == 1
    assert rows_seen_by_a_fresh_connection(committing_db, "t_tags") == 1


def test_committing_db_refuses_to_be_combined_with_isolation(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "import pytest\n"
        "from datalayer import Database\n"
        "@pytest.fixture(scope='session')\n"
        "def datalayer_database():\n"
        "    return Database('sqlite://')\n"
    )
    pytester.makepyfile("def test_both(datalayer_db, committing_db):\n    pass\n")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*committing_db cannot be combined with datalayer_db*"])


def test_a_missing_database_configuration_says_how_to_give_one(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_needs_db(datalayer_db):\n    pass\n")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*set `datalayer_database = module:attribute`*"])


def test_usage_error_names_a_bad_ini_value(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ndatalayer_database = nodots\n")
    pytester.makepyfile("def test_needs_db(datalayer_db):\n    pass\n")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*expected module:attribute*"])
    assert issubclass(UsageError, TypeError)
