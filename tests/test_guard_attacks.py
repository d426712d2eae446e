"""The transaction guard, the pipelined SAVEPOINT and read-only units, attacked from the side.

Each test sets up a situation the front-door tests do not: a lock wait timeout on
the first write, an UPDATE that changes nothing, an AUTOCOMMIT connection, a
rollback inside a unit after a COMMIT sent as SQL, a read-only unit inside the
testing plugin's isolation, a connection killed around the pipelined SAVEPOINT,
psycopg's prepared statements. What the database holds afterwards is read over a
connection of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, event, select, text, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import NullPool

from datalayer import Database, UnitOfWork, run
from datalayer.errors import (
    ConnectionLostError,
    DeadlockError,
    PartiallyCommittedError,
    ReadOnlyError,
    TransactionAbortedError,
)
from tests._outsider import Outsider, backend_pid
from tests._outsider import committed_emails as emails
from tests.conftest import Env, EnvFactory


class RowLock:
    """Another connection holding a row lock on t_tags while the block runs (MariaDB)."""

    def __init__(self, env: Env) -> None:
        self.engine = create_engine(env.url, poolclass=NullPool)

    def __enter__(self) -> RowLock:
        self.connection = self.engine.connect()
        self.connection.execute(text("UPDATE t_tags SET label = 'held' WHERE label = 'locked'"))
        return self

    def __exit__(self, *_: object) -> None:
        self.connection.rollback()
        self.connection.close()
        self.engine.dispose()


@pytest.fixture
def locked_tag(server_env: Env) -> Iterator[Env]:
    """``server_env`` (MariaDB: its tests say ``only("mariadb")``) with a tag row, 'locked'."""
    with UnitOfWork(server_env.db) as uow:
        uow.session.add(server_env.models.Tag(label="locked"))
    yield server_env


def time_out_on_the_locked_tag(uow: UnitOfWork) -> None:
    uow.session.execute(text("SET SESSION innodb_lock_wait_timeout = 1"))
    with pytest.raises(sa_exc.OperationalError, match="1205"):
        uow.session.execute(text("UPDATE t_tags SET label = 'mine' WHERE label = 'locked'"))


# --- MariaDB: lock wait timeouts (innodb_rollback_on_timeout off) and false "ended" marks ---------


@pytest.mark.only("mariadb")
def test_a_lock_wait_timeout_after_earlier_writes_keeps_the_transaction_and_it_commits(
    locked_tag: Env,
) -> None:
    env = locked_tag
    with RowLock(env), UnitOfWork(env.db) as uow:
        uow.session.create(env.models.User, email="before-timeout@x.org")
        time_out_on_the_locked_tag(uow)
        uow.session.create(env.models.User, email="after-timeout@x.org")
    assert emails(env) == {"before-timeout@x.org", "after-timeout@x.org"}


@pytest.mark.only("mariadb")
def test_a_lock_wait_timeout_on_the_first_write_does_not_refuse_the_commit_of_what_follows(
    locked_tag: Env,
) -> None:
    env = locked_tag
    with RowLock(env), UnitOfWork(env.db) as uow:
        assert uow.session.scalar(select(env.models.Tag.label)) == "locked"  # reads only, then the timeout
        time_out_on_the_locked_tag(uow)
        uow.session.create(env.models.User, email="after-timeout@x.org")
    assert emails(env) == {"after-timeout@x.org"}


def test_an_update_that_changes_no_row_is_not_taken_for_a_statement_that_ended_the_transaction(
    env: Env,
) -> None:
    with UnitOfWork(env.db) as uow:
        uow.session.execute(update(env.models.User).where(env.models.User.id == -1).values(name="nobody"))
        assert not uow._ended_by_a_statement()
        uow.session.execute(text("UPDATE t_users SET name = 'nobody' WHERE id = -1"))
        assert not uow._ended_by_a_statement()


def test_a_unit_whose_only_write_changed_nothing_is_retried_after_a_transient_failure(env: Env) -> None:
    calls: list[int] = []

    def work(uow: UnitOfWork) -> None:
        calls.append(1)
        uow.session.execute(update(env.models.User).where(env.models.User.id == -1).values(name="nobody"))
        if len(calls) == 1:
            raise DeadlockError("deadlock: retry the unit of work")

    run(lambda: UnitOfWork(env.db), work, backoff=0)
    assert calls == [1, 1]


# --- AUTOCOMMIT connections -------------------------------------------------------------------


def test_a_failure_caught_on_an_autocommit_connection_never_refuses_the_block(
    env: Env, make_env: EnvFactory
) -> None:
    auto = make_env(isolation_level="AUTOCOMMIT")
    with auto.db.engine.begin() as connection:
        connection.execute(text("INSERT INTO t_users (email) VALUES ('first@x.org')"))
        with pytest.raises(sa_exc.IntegrityError):
            connection.execute(text("INSERT INTO t_users (email) VALUES ('first@x.org')"))
        connection.execute(text("INSERT INTO t_users (email) VALUES ('second@x.org')"))
    assert emails(env) == {"first@x.org", "second@x.org"}


def test_a_statement_on_an_autocommit_connection_is_kept_without_a_commit(
    env: Env, make_env: EnvFactory
) -> None:
    auto = make_env(isolation_level="AUTOCOMMIT")
    with auto.db.engine.connect() as connection:
        connection.execute(text("INSERT INTO t_users (email) VALUES ('auto@x.org')"))
    assert emails(env) == {"auto@x.org"}


@pytest.mark.only("mariadb")
def test_a_lock_wait_timeout_on_an_autocommit_connection_never_refuses_the_block(locked_tag: Env) -> None:
    env = locked_tag
    auto = Database(env.url, isolation_level="AUTOCOMMIT")
    try:
        with RowLock(env), auto.engine.begin() as connection:
            connection.execute(text("INSERT INTO t_users (email) VALUES ('auto@x.org')"))
            connection.execute(text("SET SESSION innodb_lock_wait_timeout = 1"))
            with pytest.raises(sa_exc.OperationalError, match="1205"):
                connection.execute(text("UPDATE t_tags SET label = 'mine' WHERE label = 'locked'"))
    finally:
        auto.dispose()
    assert emails(env) == {"auto@x.org"}


# --- the record of a statement that ended the transaction, across a rollback ------------------


def test_a_unit_that_rolled_back_after_a_commit_sent_as_sql_is_never_retried(env: Env) -> None:
    calls: list[int] = []

    def work(uow: UnitOfWork) -> None:
        calls.append(1)
        uow.session.create(env.models.User, email=f"committed-{len(calls)}@x.org")
        uow.session.execute(text("COMMIT"))
        uow.rollback()  # undoes nothing: the COMMIT already went through
        raise DeadlockError("deadlock: retry the unit of work")

    with pytest.raises(PartiallyCommittedError):
        run(lambda: UnitOfWork(env.db), work, backoff=0)
    assert calls == [1]
    assert emails(env) == {"committed-1@x.org"}


# --- read-only units ---------------------------------------------------------------------------


def test_a_read_only_unit_after_the_test_arranged_data_in_isolation_reads_it(
    env: Env, datalayer_db: Database
) -> None:
    with UnitOfWork(datalayer_db) as uow:
        uow.session.create(env.models.User, email="arranged@x.org")
    datalayer_db.s.create(env.models.User, email="arranged-too@x.org")
    with UnitOfWork(datalayer_db, read_only=True) as uow:
        assert {u.email for u in uow.session.all(env.models.User)} == {"arranged@x.org", "arranged-too@x.org"}
    with UnitOfWork(datalayer_db) as uow:  # read-only mode never leaks into a later unit of the test
        uow.session.create(env.models.User, email="later@x.org")
    datalayer_db.s.create(env.models.User, email="later-too@x.org")
    datalayer_db.s.commit()


def test_a_read_only_unit_in_isolation_never_leaks_its_mode_after_a_failure(
    env: Env, datalayer_db: Database
) -> None:
    with pytest.raises(ReadOnlyError), UnitOfWork(datalayer_db, read_only=True) as uow:
        uow.session.all(env.models.User)
        uow.session.create(env.models.User, email="refused@x.org")
    with UnitOfWork(datalayer_db) as uow:
        uow.session.create(env.models.User, email="later@x.org")


def test_read_only_never_leaks_to_the_next_unit_on_a_pooled_connection_killed_inside_it(
    server_env: Env, make_server_env: EnvFactory, outsider: Outsider
) -> None:
    one = make_server_env(pool_size=1, max_overflow=0)
    for _ in range(2):
        with pytest.raises(ConnectionLostError), UnitOfWork(one.db, read_only=True) as uow:
            outsider.kill(backend_pid(one, uow))
            uow.session.execute(text("SELECT 1"))
        with pytest.raises(ReadOnlyError), UnitOfWork(one.db, read_only=True) as uow:
            uow.session.execute(text("INSERT INTO t_tags (label) VALUES ('raw')"))
        with UnitOfWork(one.db) as uow:
            uow.session.create(one.models.User, email=f"w{_}@x.org")
    assert outsider.emails() == {"w0@x.org", "w1@x.org"}


def test_read_only_and_read_write_units_alternate_on_one_pooled_connection(
    env: Env, make_env: EnvFactory
) -> None:
    one = make_env(pool_size=1, max_overflow=0, pool_pre_ping=True)
    for n in range(3):
        with UnitOfWork(one.db, read_only=True) as uow:
            uow.session.all(one.models.User)
        with UnitOfWork(one.db) as uow:
            uow.session.create(one.models.User, email=f"w{n}@x.org")
        with one.db.engine.begin() as connection:
            connection.execute(text("INSERT INTO t_tags (label) VALUES (:label)"), {"label": f"t{n}"})
        with one.db.Session() as dbs:
            dbs.create(one.models.User, email=f"s{n}@x.org")
            dbs.commit()
    assert len(emails(env)) == 6


# --- create_or_first on PostgreSQL's pipelined SAVEPOINT --------------------------------------


def test_create_or_first_inside_the_callers_own_savepoint_keeps_both(env: Env) -> None:
    with UnitOfWork(env.db) as uow:
        uow.session.create(env.models.User, email="outer@x.org")
        with uow.session.begin_nested():
            uow.session.create(env.models.User, email="inner@x.org")
            made = uow.session.create_or_first(env.models.User, email="cof@x.org")
            assert uow.session.create_or_first(env.models.User, email="cof@x.org") is made
            with pytest.raises(sa_exc.DBAPIError):
                uow.session.create_or_first(env.models.User, email="x" * 5 + "@x.org", id="not a number")
        uow.session.create(env.models.User, email="after@x.org")
    assert emails(env) == {"outer@x.org", "inner@x.org", "cof@x.org", "after@x.org"}


def test_create_or_first_survives_psycopgs_prepared_statements_and_failures_between_them(env: Env) -> None:
    for n in range(12):
        with UnitOfWork(env.db) as uow:
            uow.session.create(env.models.User, email=f"prior-{n}@x.org")
            made = uow.session.create_or_first(env.models.User, email=f"cof-{n}@x.org", name="n")
            assert uow.session.create_or_first(env.models.User, email=f"cof-{n}@x.org", name="n") is not None
            assert made.email == f"cof-{n}@x.org"
            if n % 3 == 0:  # the same statement fails: a duplicate
                with pytest.raises(sa_exc.IntegrityError):
                    uow.session.execute(
                        text("INSERT INTO t_users (email, name) VALUES (:e, :n)"),
                        {"e": f"cof-{n}@x.org", "n": "n"},
                    )
                uow.session.rollback()
                uow.session.create(env.models.User, email=f"prior-{n}@x.org")
                uow.session.create_or_first(env.models.User, email=f"cof-{n}@x.org", name="n")
    assert len(emails(env)) == 24


def test_a_connection_killed_before_create_or_first_is_a_lost_connection_and_nothing_commits(
    server_env: Env, outsider: Outsider
) -> None:
    with pytest.raises(ConnectionLostError) as raised, UnitOfWork(server_env.db) as uow:
        uow.session.create(server_env.models.User, email="prior@x.org")
        uow.session.flush()
        outsider.kill(backend_pid(server_env, uow))
        uow.session.create_or_first(server_env.models.User, email="cof@x.org")
    cause = raised.value.__cause__
    assert isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated
    assert "pipeline mode" not in str(cause)  # the lost connection itself, not the failed undo
    assert outsider.emails() == set()
    with UnitOfWork(server_env.db) as uow:  # the pool recovers
        uow.session.create_or_first(server_env.models.User, email="cof@x.org")
    assert outsider.emails() == {"cof@x.org"}


@pytest.mark.parametrize("ending", ["savepoint", "transaction"])
def test_an_object_create_or_first_made_is_forgotten_when_its_transaction_rolls_back(
    env: Env, ending: str
) -> None:
    User = env.models.User
    with UnitOfWork(env.db) as uow:
        uow.session.create(User, email="kept@x.org")
        if ending == "savepoint":
            savepoint = uow.session.begin_nested()
            made = uow.session.create_or_first(User, email="undone@x.org")
            savepoint.rollback()
        else:
            made = uow.session.create_or_first(User, email="undone@x.org")
            uow.rollback()
            uow.session.create(User, email="kept@x.org")
        assert made not in uow.session  # transient, as after a flushed INSERT that was rolled back
        again = uow.session.create_or_first(User, email="undone@x.org")  # may reuse the primary key
        assert again is not made
        assert uow.session.create_or_first(User, email="undone@x.org") is again
    assert emails(env) == {"kept@x.org", "undone@x.org"}


def test_an_object_create_or_first_made_inside_a_released_savepoint_is_kept_by_the_outer_commit(
    env: Env,
) -> None:
    User = env.models.User
    with UnitOfWork(env.db) as uow:
        with uow.session.begin_nested():
            made = uow.session.create_or_first(User, email="released@x.org")
        assert made in uow.session
        uow.commit()
        assert made.email == "released@x.org"
    assert emails(env) == {"released@x.org"}


def test_a_unit_that_committed_through_its_session_is_never_retried(env: Env) -> None:
    calls: list[int] = []

    def work(uow: UnitOfWork) -> None:
        calls.append(1)
        uow.session.create(env.models.User, email=f"committed-{len(calls)}@x.org")
        uow.session.commit()  # the session's own commit, not the unit's
        raise DeadlockError("deadlock: retry the unit of work")

    with pytest.raises(PartiallyCommittedError):
        run(lambda: UnitOfWork(env.db), work, backoff=0)
    assert calls == [1]
    assert emails(env) == {"committed-1@x.org"}


@pytest.fixture
def preparing(server_env: Env, make_server_env: EnvFactory) -> Env:
    """PostgreSQL connections (``only("postgresql")``) that prepare every statement and keep two prepared."""
    made = make_server_env(connect_args={"prepare_threshold": 0}, pool_size=1, max_overflow=0)

    @event.listens_for(made.db.engine, "connect")
    def small_cache(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.prepared_max = 2

    return made


@pytest.mark.only("postgresql")
def test_create_or_first_keeps_the_callers_work_while_psycopg_evicts_prepared_statements(
    preparing: Env,
) -> None:
    env = preparing
    User, Membership = env.models.User, env.models.Membership
    for n in range(8):
        with UnitOfWork(env.db) as uow:
            uow.session.create(User, email=f"prior-{n}@x.org")
            uow.session.create_or_first(Membership, team="t", member=f"m{n}")
            uow.session.create_or_first(Membership, team="t", member=f"m{n}", role="r")  # conflict: re-read
            with pytest.raises(sa_exc.IntegrityError):  # NOT NULL, in the pipeline, the statement prepared
                uow.session.create_or_first(User, email=None)
            with pytest.raises(sa_exc.DBAPIError):  # out of the integer column's range, another statement
                uow.session.create_or_first(Membership, id=2**40, team="t", member="x")
            uow.session.create_or_first(User, email=f"cof-{n}@x.org", name=str(n))
            uow.session.all(User)
    assert len(emails(env)) == 16


def test_two_threads_race_create_or_first_and_both_get_the_row(env: Env) -> None:
    results: list[str] = []
    barrier = threading.Barrier(2)

    def racer() -> None:
        with UnitOfWork(env.db) as uow:
            barrier.wait()
            results.append(uow.session.create_or_first(env.models.User, email="race@x.org").email)

    threads = [threading.Thread(target=racer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["race@x.org", "race@x.org"]


# --- batch 2: read-only units on other connections, isolation, RETURNING ----------------------


def test_a_read_only_unit_on_an_autocommit_engine_refuses_raw_writes(env: Env, make_env: EnvFactory) -> None:
    auto = make_env(isolation_level="AUTOCOMMIT")
    with pytest.raises(ReadOnlyError), UnitOfWork(auto.db, read_only=True) as uow:
        uow.session.execute(text("INSERT INTO t_users (email) VALUES ('written@x.org')"))
    assert emails(env) == set()
    with UnitOfWork(auto.db) as uow:  # and the connection is writable again
        uow.session.execute(text("INSERT INTO t_users (email) VALUES ('writable@x.org')"))
    assert emails(env) == {"writable@x.org"}


def test_read_only_mode_never_outlives_the_unit_when_the_pool_does_not_reset_connections(
    env: Env, make_env: EnvFactory
) -> None:
    quiet = make_env(pool_size=1, max_overflow=0, pool_reset_on_return=None)
    with UnitOfWork(quiet.db, read_only=True) as uow:
        uow.session.all(quiet.models.User)
    with UnitOfWork(quiet.db) as uow:
        uow.session.execute(text("INSERT INTO t_users (email) VALUES ('writable@x.org')"))
    assert emails(env) == {"writable@x.org"}


def test_a_read_only_unit_that_commits_its_session_in_isolation_leaves_later_units_writable(
    env: Env, datalayer_db: Database
) -> None:
    with UnitOfWork(datalayer_db, read_only=True) as uow:
        uow.session.all(env.models.User)
        uow.session.commit()  # releases the savepoint: nothing to keep, but nothing to refuse either
        uow.session.all(env.models.User)
    with UnitOfWork(datalayer_db) as uow:
        uow.session.execute(text("INSERT INTO t_users (email) VALUES ('writable@x.org')"))
    assert datalayer_db.s.scalar(text("SELECT email FROM t_users")) == "writable@x.org"


def test_a_read_only_unit_joining_an_outer_transaction_without_a_savepoint_reads_and_leaks_nothing(
    env: Env, make_env: EnvFactory
) -> None:
    own = make_env()
    with own.db.engine.connect() as connection:
        connection.execute(text("INSERT INTO t_users (email) VALUES ('arranged@x.org')"))
        own.db.Session.configure(bind=connection, join_transaction_mode="rollback_only")
        with UnitOfWork(own.db, read_only=True) as uow:
            assert [u.email for u in uow.session.all(own.models.User)] == ["arranged@x.org"]
        # rollback_only: the unit's rollback ended the outer transaction, the arranged row with it
        connection.execute(text("INSERT INTO t_users (email) VALUES ('after@x.org')"))
        connection.commit()
    assert emails(env) == {"after@x.org"}


def test_a_caught_failure_inside_a_unit_in_isolation_is_refused_as_in_production(
    env: Env, datalayer_db: Database
) -> None:
    if env.backend == "mariadb":
        pytest.skip("the MariaDB deadlock needs a second connection, outside the test's")
    aborting = (
        "SELECT 1/0"
        if env.backend == "postgresql"
        else "INSERT OR ROLLBACK INTO t_users (email) VALUES ('before@x.org')"
    )
    datalayer_db.s.create(env.models.User, email="before@x.org")
    datalayer_db.s.commit()
    with pytest.raises(TransactionAbortedError), UnitOfWork(datalayer_db) as uow:
        uow.session.create(env.models.User, email="lost@x.org")
        with pytest.raises(sa_exc.DBAPIError):
            uow.session.execute(text(aborting))
    if env.backend == "postgresql":  # the test's own work is still there, and the connection usable
        assert datalayer_db.s.scalar(text("SELECT email FROM t_users")) == "before@x.org"


@pytest.mark.only("postgresql")
def test_a_caught_failure_inside_a_unit_in_isolation_leaves_the_tests_connection_usable(
    env: Env, datalayer_db: Database
) -> None:
    datalayer_db.s.create(env.models.User, email="before@x.org")
    datalayer_db.s.commit()
    with pytest.raises(Exception), UnitOfWork(datalayer_db) as uow:  # noqa: B017  (whatever the unit raises: the connection afterwards matters)
        uow.session.create(env.models.User, email="lost@x.org")
        with pytest.raises(sa_exc.DBAPIError):
            uow.session.execute(text("SELECT 1/0"))
    datalayer_db.s.rollback()
    assert datalayer_db.s.scalar(text("SELECT email FROM t_users")) == "before@x.org"


@pytest.mark.only("mariadb")
def test_an_insert_returning_sent_as_sql_then_ddl_on_mariadb_counts_as_committed(server_env: Env) -> None:
    try:
        with UnitOfWork(server_env.db) as uow:
            uow.session.execute(text("INSERT INTO t_users (email) VALUES ('early@x.org') RETURNING id")).all()
            uow.session.execute(text("CREATE TABLE t_side_effect (id INT)"))
            assert uow._ended_by_a_statement()
    finally:
        with server_env.db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS t_side_effect")


def test_a_connection_whose_commit_was_refused_is_usable_again(env: Env) -> None:
    if env.backend == "mariadb":
        pytest.skip("the MariaDB deadlock needs a unit; the same guard is tested elsewhere")
    aborting = (
        "SELECT 1/0"
        if env.backend == "postgresql"
        else "INSERT OR ROLLBACK INTO t_users (email) VALUES ('x@x.org')"
    )
    with env.db.engine.connect() as connection:
        connection.execute(text("INSERT INTO t_users (email) VALUES ('x@x.org')"))
        connection.commit()
        connection.execute(text("INSERT INTO t_users (email) VALUES ('lost@x.org')"))
        with pytest.raises(sa_exc.DBAPIError):
            connection.execute(text(aborting))
        with pytest.raises(TransactionAbortedError):
            connection.commit()
        connection.rollback()  # as after any failed COMMIT
        connection.execute(text("INSERT INTO t_users (email) VALUES ('kept@x.org')"))
        connection.commit()
    assert emails(env) == {"x@x.org", "kept@x.org"}


def test_create_or_first_on_an_autocommit_engine_creates_and_then_finds_the_row(
    env: Env, make_env: EnvFactory
) -> None:
    auto = make_env(isolation_level="AUTOCOMMIT")
    with UnitOfWork(auto.db) as uow:
        made = uow.session.create_or_first(auto.models.User, email="auto@x.org")
    with UnitOfWork(auto.db) as uow:
        found = uow.session.create_or_first(auto.models.User, email="auto@x.org")
    assert found.id == made.id
    assert emails(env) == {"auto@x.org"}
