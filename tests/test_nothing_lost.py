"""A unit that exits cleanly committed, and nothing committed is done twice: attacks from the side.

Each test goes around the front door: a failure caught inside the unit, a COMMIT
or DDL sent as SQL, a connection killed around an explicit commit, another thread
entering the same unit. What the database holds afterwards is read over a
connection of its own.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from datalayer import UnitOfWork, run
from datalayer.errors import (
    CommitUnknownError,
    DeadlockError,
    PartiallyCommittedError,
    ReadOnlyError,
    TransactionAbortedError,
    UsageError,
)
from datalayer.testing import FakeDatabase, FakeUnitOfWork
from tests._outsider import Outsider, backend_pid
from tests._outsider import committed_emails as emails
from tests.conftest import Env

# A statement that makes each database end the whole transaction, caught by the caller.
ABORTING = {
    "postgresql": "SELECT 1/0",  # PostgreSQL aborts the transaction on any failure
    "sqlite": "INSERT OR ROLLBACK INTO t_users (email) VALUES ('before@x.org')",  # the duplicate rolls back
}


def abort_transaction(env: Env, uow: UnitOfWork) -> None:
    """Make the database end the unit's transaction with a failure, and catch it as careless code does."""
    if env.backend == "mariadb":
        deadlock_as_victim(env, uow)
        return
    with pytest.raises(sa_exc.DBAPIError):
        uow.session.execute(text(ABORTING[env.backend]))


def deadlock_as_victim(env: Env, uow: UnitOfWork) -> None:
    """Two transactions take two tag rows in opposite orders; InnoDB picks the smaller one, the unit's."""
    with env.db.Session() as dbs:
        dbs.add_all([env.models.Tag(label="one"), env.models.Tag(label="two")])
        dbs.commit()
    ready = threading.Event()

    def other() -> None:  # the bigger transaction: it changes more rows, so it survives
        with env.db.engine.connect() as connection, connection.begin() as transaction:
            connection.execute(text("INSERT INTO t_tags (label) VALUES ('w1'), ('w2'), ('w3'), ('w4')"))
            connection.execute(text("UPDATE t_tags SET label = 'two*' WHERE label = 'two'"))
            ready.set()
            connection.execute(text("UPDATE t_tags SET label = 'one**' WHERE label LIKE 'one%'"))
            transaction.rollback()

    uow.session.execute(text("UPDATE t_tags SET label = 'one*' WHERE label = 'one'"))
    thread = threading.Thread(target=other)
    thread.start()
    try:
        assert ready.wait(10)
        threading.Event().wait(0.3)  # the other transaction now waits for the unit's row
        with pytest.raises(sa_exc.DBAPIError, match="1213"):
            uow.session.execute(text("UPDATE t_tags SET label = 'two**' WHERE label LIKE 'two%'"))
    finally:
        thread.join(30)


@pytest.fixture
def before(env: Env) -> Iterator[Env]:
    """``env`` with one committed user, before@x.org."""
    with UnitOfWork(env.db) as uow:
        uow.session.create(env.models.User, email="before@x.org")
    yield env


def test_a_unit_whose_transaction_the_database_rolled_back_never_reports_a_commit(before: Env) -> None:
    env = before
    with (
        pytest.raises(TransactionAbortedError, match="nothing of the transaction") as raised,
        UnitOfWork(env.db) as uow,
    ):
        uow.session.create(env.models.User, email="lost@x.org")
        abort_transaction(env, uow)
        if env.backend != "postgresql":  # where the database lets it, careless code goes on
            uow.session.create(env.models.User, email="after@x.org")
    assert isinstance(raised.value.__cause__, sa_exc.DBAPIError)
    assert emails(env) == {"before@x.org"}  # neither the work before the failure nor after it


def test_a_plain_session_commit_after_a_caught_failure_raises_too(before: Env) -> None:
    env = before
    if env.backend == "mariadb":
        pytest.skip("the MariaDB deadlock needs a unit's session; the same guard is tested above")
    with env.db.Session() as dbs:
        dbs.create(env.models.User, email="lost@x.org")
        with pytest.raises(sa_exc.DBAPIError):
            dbs.execute(text(ABORTING[env.backend]))
        with pytest.raises(TransactionAbortedError):
            dbs.commit()
    assert emails(env) == {"before@x.org"}


def test_a_failure_undone_by_its_own_savepoint_does_not_stop_the_commit(before: Env) -> None:
    env = before
    with UnitOfWork(env.db) as uow:
        uow.session.create(env.models.User, email="kept@x.org")
        with pytest.raises(sa_exc.DBAPIError), uow.session.begin_nested():
            uow.session.execute(text("INSERT INTO t_users (email) VALUES ('before@x.org')"))
        uow.session.create(env.models.User, email="after@x.org")
    assert emails(env) == {"before@x.org", "kept@x.org", "after@x.org"}


def test_run_does_not_repeat_a_unit_that_committed_part_of_its_work(env: Env) -> None:
    calls: list[int] = []

    def pay(uow: UnitOfWork) -> None:
        calls.append(1)
        uow.session.create(env.models.User, email=f"payment-{len(calls)}@x.org")
        uow.commit()
        raise DeadlockError("deadlock: retry the unit of work")

    with pytest.raises(PartiallyCommittedError, match="Not retried") as raised:
        run(lambda: UnitOfWork(env.db), pay, backoff=0)
    assert isinstance(raised.value.reason, DeadlockError)
    assert calls == [1]
    assert emails(env) == {"payment-1@x.org"}


def test_fake_units_do_not_repeat_committed_work_either() -> None:
    database = FakeDatabase()
    calls: list[int] = []

    def pay(uow: FakeUnitOfWork) -> None:
        calls.append(1)
        uow.commit()
        raise DeadlockError("deadlock")

    with pytest.raises(PartiallyCommittedError):
        run(lambda: FakeUnitOfWork(database), pay, backoff=0)
    assert calls == [1]


def test_a_statement_that_commits_by_itself_makes_a_later_transient_failure_final(before: Env) -> None:
    env = before
    ending = "CREATE TABLE t_side_effect (id INT)" if env.backend == "mariadb" else "COMMIT"
    calls: list[int] = []

    def work(uow: UnitOfWork) -> None:
        calls.append(1)
        uow.session.create(env.models.User, email="committed-early@x.org")
        uow.session.execute(text(ending))
        uow.session.create(env.models.User, email="rolled-back@x.org")
        raise DeadlockError("deadlock")

    try:
        with pytest.raises(PartiallyCommittedError):
            run(lambda: UnitOfWork(env.db), work, backoff=0)
    finally:
        if env.backend == "mariadb":
            with env.db.engine.begin() as connection:
                connection.exec_driver_sql("DROP TABLE IF EXISTS t_side_effect")
    assert calls == [1]
    assert emails(env) == {"before@x.org", "committed-early@x.org"}


def test_a_clean_exit_after_a_statement_committed_by_itself_commits_the_rest(before: Env) -> None:
    env = before
    with UnitOfWork(env.db) as uow:
        uow.session.create(env.models.User, email="first@x.org")
        uow.session.execute(text("COMMIT"))
        uow.session.create(env.models.User, email="second@x.org")
    assert emails(env) == {"before@x.org", "first@x.org", "second@x.org"}


def test_an_explicit_commit_whose_connection_dies_is_commit_unknown_and_never_retried(
    server_env: Env, outsider: Outsider
) -> None:
    calls: list[int] = []

    def work(uow: UnitOfWork) -> None:
        calls.append(1)
        uow.session.create(server_env.models.User, email="unknown@x.org")
        outsider.kill(backend_pid(server_env, uow))
        uow.commit()

    with pytest.raises(CommitUnknownError, match="may or may not be in"):
        run(lambda: UnitOfWork(server_env.db), work, backoff=0)
    assert calls == [1]


def test_a_connection_lost_after_an_explicit_commit_never_says_nothing_was_saved(
    server_env: Env, outsider: Outsider
) -> None:
    calls: list[int] = []

    def work(uow: UnitOfWork) -> None:
        calls.append(1)
        uow.session.create(server_env.models.User, email="paid@x.org")
        uow.commit()
        outsider.kill(backend_pid(server_env, uow))
        uow.session.create(server_env.models.User, email="receipt@x.org")

    with pytest.raises(PartiallyCommittedError) as raised:
        run(lambda: UnitOfWork(server_env.db), work, backoff=0)
    assert "nothing was saved" not in str(raised.value)
    assert "stays committed" in str(raised.value)
    assert calls == [1]
    assert outsider.emails() == {"paid@x.org"}


def test_the_callers_own_error_propagates_as_itself_when_the_rollback_fails_too(
    server_env: Env, outsider: Outsider
) -> None:
    calls: list[int] = []

    def work(uow: UnitOfWork) -> None:
        calls.append(1)
        uow.session.create(server_env.models.User, email="doomed@x.org")
        outsider.kill(backend_pid(server_env, uow))  # the rollback on the way out fails too
        raise ValueError("the caller's own error")

    with pytest.raises(ValueError, match="the caller's own error"):
        run(lambda: UnitOfWork(server_env.db), work, backoff=0)
    assert calls == [1]
    assert outsider.emails() == set()


@pytest.mark.parametrize("ender", ["COMMIT", "DDL"])
def test_a_read_only_unit_refuses_writes_after_a_statement_that_ends_its_transaction(
    env: Env, ender: str
) -> None:
    if ender == "DDL" and env.backend != "mariadb":
        pytest.skip("only MariaDB commits implicitly before DDL")
    with UnitOfWork(env.db) as uow:
        uow.session.create(env.models.User, email="kept@x.org")
    writes = [
        "TRUNCATE TABLE t_users" if env.backend != "sqlite" else "DELETE FROM t_users",
        "CREATE TABLE t_made_in_read_only (id INT)",
        "INSERT INTO t_users (email) VALUES ('written@x.org')",
        "DROP TABLE t_users",
    ]
    for write in writes:
        with pytest.raises(ReadOnlyError), UnitOfWork(env.db, read_only=True) as uow:
            if ender == "COMMIT":
                uow.session.execute(text("COMMIT"))
            else:
                with pytest.raises(ReadOnlyError):
                    uow.session.execute(text("CREATE TABLE t_made_in_read_only (id INT)"))
            uow.session.execute(text(write))
    assert emails(env) == {"kept@x.org"}
    with UnitOfWork(env.db) as uow:  # the connections are writable again
        uow.session.create(env.models.User, email="writable@x.org")
    assert emails(env) == {"kept@x.org", "writable@x.org"}


def test_two_threads_never_enter_one_unit_at_once(env: Env) -> None:
    unit = UnitOfWork(env.db)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(200):
            entered: list[int] = []
            barrier = threading.Barrier(2)

            def enter(entered: list[int] = entered, barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                try:
                    unit.__enter__()
                except UsageError:
                    return
                entered.append(1)

            threads = [threading.Thread(target=enter) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert entered == [1]
            unit.__exit__(None, None, None)
    finally:
        sys.setswitchinterval(interval)
