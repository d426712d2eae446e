"""MariaDB's one-round-trip create_or_first: a plain INSERT that undoes itself alone when it fails.

No SAVEPOINT is sent: InnoDB rolls a failed statement back and keeps the
transaction. A deadlock rolls the whole transaction back instead, and a lock
wait timeout only the statement: each case is played against a real server,
with the competing transaction on a connection of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc

from datalayer import UnitOfWork
from datalayer.errors import DeadlockError, LockTimeoutError, TransactionAbortedError
from datalayer.testing import count_queries
from tests._outsider import committed_emails
from tests._race import fresh_keys
from tests.conftest import Env, EnvFactory

pytestmark = pytest.mark.only("mariadb")


@pytest.fixture
def native(env: Env) -> Env:
    """``env`` on MariaDB, the one-round-trip path on or off: both keep the same promises."""
    return env


def test_a_failed_insert_keeps_the_callers_work_and_natively_sends_no_savepoint(native: Env) -> None:
    User, Order = native.models.User, native.models.Order
    with UnitOfWork(native.db) as uow:
        kept = uow.session.create(User, email="kept@x.org")
        uow.session.create_or_first(User, email="taken@x.org")
        with count_queries(native.db) as log:
            assert uow.session.create_or_first(User, email="taken@x.org").email == "taken@x.org"
            with pytest.raises(sa_exc.IntegrityError, match="1452"):  # a foreign key, not a conflict
                uow.session.create_or_first(Order, user_id=kept.id + 1000, item="lost")
            with pytest.raises(sa_exc.IntegrityError, match="1048"):  # NULL where NOT NULL
                uow.session.create_or_first(Order, user_id=None, item="lost")
            order = uow.session.create_or_first(Order, user_id=kept.id, item="kept")
    if not native.engine_options:
        assert log.round_trips == len(log.statements)  # no SAVEPOINT, no ROLLBACK TO
    assert committed_emails(native) == {"kept@x.org", "taken@x.org"}
    with native.db.Session() as dbs:
        assert [o.item for o in dbs.all(Order)] == ["kept"]
        assert dbs.all(Order)[0].id == order.id


@pytest.fixture
def impatient(native: Env, make_env: EnvFactory) -> Iterator[Env]:
    """``native`` on a pool of its own whose connections wait one second for a lock (disposed after)."""
    made = make_env()
    event.listen(made.db.engine, "connect", _impatient)
    yield made


def _impatient(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
    cursor.close()


def _compete(env: Env, emails: list[str], then: str, ready: threading.Event) -> threading.Thread:
    """Another transaction: inserts ``emails`` (and filler rows), then ``then``, and rolls back."""

    def other() -> None:
        with env.db.engine.connect() as connection, connection.begin() as transaction:
            insert = text("INSERT INTO t_users (email) VALUES (:e)")
            key = then or emails[0]
            connection.execute(insert, [{"e": f"filler{n}-{key}"} for n in range(4)])  # the bigger one
            for email in emails:
                connection.execute(insert, {"e": email})
            ready.set()
            if then:
                connection.execute(insert, {"e": then})
            else:
                threading.Event().wait(2)  # holds its locks past the waiter's timeout
            transaction.rollback()

    thread = threading.Thread(target=other)
    thread.start()
    assert ready.wait(10)
    return thread


def test_a_deadlock_in_create_or_first_rolls_the_unit_back_and_its_commit_is_refused(native: Env) -> None:
    User, (mine, theirs) = native.models.User, fresh_keys(2)
    ready = threading.Event()
    thread: threading.Thread | None = None
    try:
        with pytest.raises(TransactionAbortedError) as raised, UnitOfWork(native.db) as uow:
            uow.session.create(User, email=mine)
            thread = _compete(native, [theirs], mine, ready)
            threading.Event().wait(0.3)  # the other transaction now waits for the unit's row
            with pytest.raises(sa_exc.OperationalError) as failed:  # caught, as careless code does
                uow.session.create_or_first(User, email=theirs)
            # The SAVEPOINT path then fails to roll back to its savepoint, gone with the transaction.
            assert "1213" in str(failed.value) + str(failed.value.__context__)
    finally:
        if thread is not None:
            thread.join(30)
    assert isinstance(raised.value.__cause__, sa_exc.OperationalError)
    assert committed_emails(native) == set()


def test_a_deadlock_in_create_or_first_leaves_the_unit_as_a_deadlockerror(native: Env) -> None:
    User, (mine, theirs) = native.models.User, fresh_keys(2)
    ready = threading.Event()
    thread: threading.Thread | None = None
    try:
        with pytest.raises(DeadlockError), UnitOfWork(native.db) as uow:
            uow.session.create(User, email=mine)
            thread = _compete(native, [theirs], mine, ready)
            threading.Event().wait(0.3)
            uow.session.create_or_first(User, email=theirs)
    finally:
        if thread is not None:
            thread.join(30)
    assert committed_emails(native) == set()


def test_a_lock_wait_timeout_in_create_or_first_undoes_the_insert_alone(impatient: Env) -> None:
    User, (mine, theirs, after) = impatient.models.User, fresh_keys(3)
    ready = threading.Event()
    thread: threading.Thread | None = None
    try:
        with UnitOfWork(impatient.db) as uow:
            uow.session.create(User, email=mine)
            thread = _compete(impatient, [theirs], "", ready)
            with pytest.raises(sa_exc.OperationalError, match="1205"):
                uow.session.create_or_first(User, email=theirs)
            uow.session.create(User, email=after)
    finally:
        if thread is not None:
            thread.join(30)
    assert committed_emails(impatient) == {mine, after}  # innodb_rollback_on_timeout off


def test_a_lock_wait_timeout_that_reaches_the_unit_is_a_lock_timeout_error(impatient: Env) -> None:
    User, (theirs,) = impatient.models.User, fresh_keys(1)
    ready = threading.Event()
    thread: threading.Thread | None = None
    try:
        with pytest.raises(LockTimeoutError), UnitOfWork(impatient.db) as uow:
            thread = _compete(impatient, [theirs], "", ready)
            uow.session.create_or_first(User, email=theirs)
    finally:
        if thread is not None:
            thread.join(30)


def test_units_asking_for_the_same_existing_row_do_not_wait_for_each_other(impatient: Env) -> None:
    # The duplicate check and the re-read take shared locks (ON DUPLICATE KEY UPDATE would
    # take an exclusive one): the second unit gets the row while the first still holds it.
    User, (key,) = impatient.models.User, fresh_keys(1)
    with UnitOfWork(impatient.db) as uow:
        uow.session.create(User, email=key)
    with UnitOfWork(impatient.db) as first, UnitOfWork(impatient.db) as second:
        held = first.session.create_or_first(User, email=key)
        assert second.session.create_or_first(User, email=key).id == held.id  # else 1205 after 1 s
