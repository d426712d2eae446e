"""The plugin's transactional isolation: code under test commits and rolls back, nothing leaks."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import create_engine, func, insert, make_url, select, text

from datalayer import Database, Session, UnitOfWork
from datalayer.errors import ReadOnlyError, UsageError
from datalayer.testing import create_scratch_database, drop_scratch_database, isolated, scratch
from repositories import Repository
from tests.conftest import SERVER_URL_VARIABLES, Env

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
        uow.repository(env.models.User).create(email="a@x.org")
    assert Repository(db_session, env.models.User).exists(email="a@x.org")
    assert datalayer_db.s.first(env.models.User, email="a@x.org") is not None
    assert rows_seen_by_a_fresh_connection(datalayer_db, "t_users") == 0


def test_code_under_test_that_rolls_back_keeps_the_tests_fixtures(
    env: Env, datalayer_db: Database, db_session: Session
) -> None:
    fixture_user = env.factories.User()
    with pytest.raises(Boom), UnitOfWork(datalayer_db) as uow:
        uow.repository(env.models.User).create(email="undone@x.org")
        raise Boom
    datalayer_db.s.create(env.models.User, email="also-undone@x.org")
    datalayer_db.s.rollback()
    users = Repository(db_session, env.models.User)
    assert [u.email for u in users.all()] == [fixture_user.email]
    assert users.get(fixture_user.id) is fixture_user


def test_the_scoped_session_can_commit_and_be_removed_inside_a_test(env: Env, datalayer_db: Database) -> None:
    datalayer_db.s.create(env.models.User, email="a@x.org")
    datalayer_db.s.commit()
    datalayer_db.s.remove()
    assert datalayer_db.s.first(env.models.User, email="a@x.org") is not None
    assert rows_seen_by_a_fresh_connection(datalayer_db, "t_users") == 0


def test_create_or_first_inside_a_test_undoes_only_its_insert(env: Env, db_session: Session) -> None:
    existing = env.factories.User(email="taken@x.org")
    other = env.factories.User()
    assert db_session.create_or_first(env.models.User, email="taken@x.org") is existing
    assert Repository(db_session, env.models.User).count() == 2 and other in db_session


def test_a_test_that_commits_leaves_nothing_for_the_next_part_one(env: Env, datalayer_db: Database) -> None:
    with UnitOfWork(datalayer_db) as uow:
        uow.repository(env.models.User).create(email=PROBE)
    datalayer_db.s.create(env.models.Tag, label=PROBE)
    datalayer_db.s.commit()


def test_a_test_that_commits_leaves_nothing_for_the_next_part_two(env: Env, db_session: Session) -> None:
    # Run in random order with part one: passes only if part one's commits were undone.
    assert not Repository(db_session, env.models.User).exists(email=PROBE)
    assert not Repository(db_session, env.models.Tag).exists(label=PROBE)


def test_isolated_leaves_the_database_as_it_was(env: Env) -> None:
    with isolated(env.db):
        with UnitOfWork(env.db) as uow:
            uow.repository(env.models.User).create(email="a@x.org")
        env.db.s.create(env.models.User, email="b@x.org")
        env.db.s.commit()
        with env.db.Session() as dbs:
            assert len(dbs.all(env.models.User)) == 2
    assert rows_seen_by_a_fresh_connection(env.db, "t_users") == 0
    with env.db.Session() as dbs:  # the factory is bound to the engine again
        assert dbs.get_bind() is env.db.engine


def test_committing_db_commits_for_real(env: Env, committing_db: Database) -> None:
    with UnitOfWork(committing_db) as uow:
        uow.repository(env.models.User).create(email="real@x.org")
    env.factories.Tag(label="committed by a factory")
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
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:asyncio")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*committing_db cannot be combined with datalayer_db*"])


def test_a_missing_database_configuration_says_how_to_give_one(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_needs_db(datalayer_db):\n    pass\n")
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:asyncio")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*set `datalayer_database = module:attribute`*"])


def test_usage_error_names_a_bad_ini_value(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ndatalayer_database = nodots\n")
    pytester.makepyfile("def test_needs_db(datalayer_db):\n    pass\n")
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:asyncio")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*expected module:attribute*"])
    assert issubclass(UsageError, TypeError)


def test_read_only_units_inside_the_isolation_read_what_the_test_arranged_and_never_leak(
    env: Env, datalayer_db: Database, db_session: Session
) -> None:
    env.factories.User(email="arranged@x.org")  # the test's own transaction has begun and written
    with UnitOfWork(datalayer_db, read_only=True) as uow:
        assert uow.repository(env.models.User).exists(email="arranged@x.org")
        with pytest.raises(ReadOnlyError):
            uow.session.execute(insert(env.models.Tag).values(label="written"))
    with UnitOfWork(datalayer_db) as uow:  # the read-only mode ended with its unit
        uow.repository(env.models.Tag).create(label="writable")
    with UnitOfWork(datalayer_db, read_only=True) as uow:
        assert uow.repository(env.models.Tag).count() == 1
    db_session.add(env.models.Tag(label="the test writes too"))
    db_session.flush()


def test_a_read_only_unit_first_in_a_test_does_not_leak_into_the_next_units(
    env: Env, datalayer_db: Database
) -> None:
    with UnitOfWork(datalayer_db, read_only=True) as uow:
        assert uow.repository(env.models.User).count() == 0
    with UnitOfWork(datalayer_db) as uow:
        uow.repository(env.models.User).create(email="after@x.org")
    assert datalayer_db.s.first(env.models.User, email="after@x.org") is not None


def test_the_database_refuses_raw_writes_of_a_read_only_unit_inside_the_isolation(
    env: Env, datalayer_db: Database
) -> None:
    if env.backend == "mariadb":
        pytest.skip("MariaDB cannot make a transaction already begun read-only: only statements are refused")
    with pytest.raises(ReadOnlyError), UnitOfWork(datalayer_db, read_only=True) as uow:
        uow.session.execute(text("INSERT INTO t_tags (label) VALUES ('raw')"))
    with UnitOfWork(datalayer_db) as uow:
        assert uow.repository(env.models.Tag).count() == 0
        uow.repository(env.models.Tag).create(label="writable")


def test_objects_made_under_committing_db_can_be_read_while_other_connections_commit(
    env: Env, committing_db: Database
) -> None:
    user = env.factories.User(email="shared@x.org")
    assert user.email == "shared@x.org" and user.id is not None  # no read transaction left open
    failures: list[BaseException] = []

    def request(n: int) -> None:
        try:
            with UnitOfWork(committing_db) as uow:
                uow.repository(env.models.Order).create(user_id=user.id, item=f"item {n}")
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert time.monotonic() - started < 4  # no unit waited out a busy timeout
    with UnitOfWork(committing_db) as uow:
        assert uow.repository(env.models.Order).count(user_id=user.id) == 4


def names_on_the_server(server: str) -> set[str]:
    engine = create_engine(server)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                return set(connection.execute(text("SELECT datname FROM pg_database")).scalars())
            return set(
                connection.execute(text("SELECT schema_name FROM information_schema.schemata")).scalars()
            )
    finally:
        engine.dispose()


@pytest.mark.only("postgresql", "mariadb")
def test_a_scratch_database_is_made_and_dropped_and_a_dead_runs_is_cleaned_up(server_env: Env) -> None:
    server = os.environ[SERVER_URL_VARIABLES[server_env.backend]]
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead = f"dl_scratch_{int(finished.stdout)}_0123abcd"  # a run whose process is gone
    scratch._admin(make_url(server), scratch._CreateDatabase(dead))
    url = create_scratch_database(server, prefix="dl_scratch_")
    assert dead not in names_on_the_server(server)  # the dead run's database was dropped
    db = Database(url)
    try:
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        db.dispose()
    drop_scratch_database(url, server)
    assert str(make_url(url).database) not in names_on_the_server(server)
    with pytest.raises(UsageError, match="not a scratch database"):
        drop_scratch_database(server, server)
    with pytest.raises(UsageError, match="prefix"):
        create_scratch_database(server, prefix="Bad-")
