"""Driver errors leave a unit of work as datalayer's errors, classified by code, the original chained."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from datalayer import UnitOfWork
from datalayer.errors import (
    CertificationConflictError,
    ConflictError,
    DatalayerError,
    DeadlockError,
    LockTimeoutError,
    PoolTimeoutError,
    RetryableError,
    SerializationError,
)
from tests.conftest import Env, EnvFactory


def seed_user(env: Env, email: str = "a@x.org") -> int:
    with UnitOfWork(env.db) as uow:
        return int(uow.repository(env.models.User).create(email=email).id)


def test_a_unique_violation_at_commit_is_a_conflict_error_naming_the_constraint(env: Env) -> None:
    seed_user(env)
    with pytest.raises(ConflictError) as raised, UnitOfWork(env.db) as uow:
        uow.session.add(env.models.User(email="a@x.org"))  # flushed by the commit
    assert isinstance(raised.value.__cause__, sa_exc.IntegrityError)
    if env.backend == "postgresql":
        assert raised.value.constraint == "uq_t_users_email"  # db.Model's naming convention


def test_programming_errors_are_never_disguised(env: Env) -> None:
    with pytest.raises(sa_exc.DBAPIError) as raised, UnitOfWork(env.db) as uow:
        uow.session.execute(text("SELEC 1"))  # a syntax error: SQLite calls it an OperationalError
    assert not isinstance(raised.value, DatalayerError)
    with pytest.raises(AttributeError), UnitOfWork(env.db) as uow:
        uow.repository(env.models.User).nope()  # type: ignore[attr-defined]
    with pytest.raises(sa_exc.IntegrityError), UnitOfWork(env.db) as uow:  # NOT NULL: not a conflict
        uow.session.add(env.models.Order(user_id=None, item="x"))


def test_a_lock_not_granted_in_time_is_a_lock_timeout(env: Env, make_env: EnvFactory) -> None:
    # SQLite's timeout and MariaDB's SET SESSION stay with their connections: a pool of their own.
    impatient = env
    if env.backend == "sqlite":
        impatient = make_env(connect_args={"timeout": 0.1})
    elif env.backend == "mariadb":
        impatient = make_env()
    user_id = seed_user(env)
    with UnitOfWork(env.db) as holder:
        holder.session.execute(text("UPDATE t_users SET name = 'holder' WHERE id = :id"), {"id": user_id})
        with pytest.raises(LockTimeoutError) as raised, UnitOfWork(impatient.db) as waiter:
            if env.backend == "postgresql":
                waiter.session.execute(text("SET LOCAL lock_timeout = '100ms'"))
            elif env.backend == "mariadb":
                waiter.session.execute(text("SET SESSION innodb_lock_wait_timeout = 1"))
            waiter.session.execute(text("UPDATE t_users SET name = 'waiter' WHERE id = :id"), {"id": user_id})
        assert isinstance(raised.value, RetryableError)
        assert isinstance(raised.value.__cause__, sa_exc.OperationalError)


@pytest.mark.only("postgresql", "mariadb")
def test_a_deadlock_aborts_one_unit_with_a_retryable_error(env: Env) -> None:
    first, second = seed_user(env, "1@x.org"), seed_user(env, "2@x.org")
    barrier = threading.Barrier(2, timeout=30)
    outcomes: list[BaseException | None] = []

    def lock(one: int, then: int) -> None:
        try:
            with UnitOfWork(env.db) as uow:
                update = text("UPDATE t_users SET name = 'locked' WHERE id = :id")
                uow.session.execute(update, {"id": one})
                barrier.wait()
                uow.session.execute(update, {"id": then})
        except BaseException as error:  # asserted on below
            outcomes.append(error)
        else:
            outcomes.append(None)

    threads = [threading.Thread(target=lock, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [outcome for outcome in outcomes if outcome is not None]
    assert len(errors) == 1 and isinstance(errors[0], DeadlockError), outcomes
    assert not isinstance(errors[0], CertificationConflictError)  # a lock deadlock, on a statement
    assert isinstance(errors[0].__cause__, sa_exc.DBAPIError)


@pytest.mark.only("postgresql")
def test_a_concurrent_update_under_repeatable_read_is_a_serialization_error(
    env: Env, make_env: EnvFactory
) -> None:
    snapshot = make_env(isolation_level="REPEATABLE READ")
    user_id = seed_user(env)
    update = text("UPDATE t_users SET name = :name WHERE id = :id")
    with pytest.raises(SerializationError), UnitOfWork(snapshot.db) as late:
        late.session.execute(text("SELECT name FROM t_users WHERE id = :id"), {"id": user_id})
        with UnitOfWork(snapshot.db) as early:
            early.session.execute(update, {"name": "early", "id": user_id})
        late.session.execute(update, {"name": "late", "id": user_id})
    with env.db.Session() as dbs:
        assert dbs.get(env.models.User, user_id).name == "early"


def test_units_wait_for_a_free_connection_then_time_out_clearly(env: Env, make_env: EnvFactory) -> None:
    small = make_env(pool_size=1, max_overflow=0, pool_timeout=0.2)
    with UnitOfWork(small.db) as holder:
        holder.session.execute(text("SELECT 1"))
        with (
            pytest.raises(PoolTimeoutError, match="no database connection became free"),
            UnitOfWork(small.db) as uow,
        ):
            uow.session.execute(text("SELECT 1"))
    patient = make_env(pool_size=1, max_overflow=0, pool_timeout=30)
    done: list[int] = []

    def work(n: int) -> None:
        with UnitOfWork(patient.db) as uow:
            uow.repository(patient.models.Tag).create(label=f"tag-{n}")
        done.append(n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(done) == list(range(6))
    assert patient.db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
