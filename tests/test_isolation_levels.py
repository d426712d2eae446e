"""The race suites under every isolation level: one row per key, never None, never a raw unique violation.

Threads are released together, each in its own unit of work. Without retries,
each call returns the key's row or raises a RetryableError; through ``run()``
every call succeeds, and the retries it took are counted.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from datalayer import UnitOfWork, run
from datalayer.errors import RetryableError
from tests._race import fresh_keys, run_race
from tests.conftest import Env, EnvFactory

LEVELS = ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"]
THREADS = 8


def assert_one_row_each(env: Env, keys: list[str], ids: dict[str, list[int]]) -> None:
    with env.db.Session() as dbs:
        for key in keys:
            rows = dbs.all(env.models.User, email=key)
            assert len(rows) == 1, key
            assert set(ids.get(key, [])) <= {rows[0].id}, key


@pytest.mark.parametrize("helper", ["first_or_create", "create_or_first"])
@pytest.mark.parametrize("level", LEVELS)
def test_each_call_returns_the_row_or_a_retryable_error(
    server_env: Env, make_server_env: EnvFactory, level: str, helper: str
) -> None:
    env = make_server_env(isolation_level=level)
    keys = fresh_keys(10)

    def attempt(key: str) -> int:
        with UnitOfWork(env.db) as uow:
            found = getattr(uow.repository(env.models.User), helper)(email=key)
            assert found is not None and found.email == key
            return int(found.id)

    ids, errors = run_race(THREADS, keys, attempt)
    assert all(isinstance(error, RetryableError) for error in errors), errors
    assert_one_row_each(env, keys, ids)
    print(
        f"\n{server_env.backend} {level} {helper}: {sum(map(len, ids.values()))} rows returned, "
        f"{len(errors)} retryable errors {dict(Counter(type(e).__name__ for e in errors))}"
    )


@pytest.mark.parametrize("level", LEVELS)
def test_every_call_succeeds_through_run_and_the_retries_are_counted(
    server_env: Env, make_server_env: EnvFactory, level: str
) -> None:
    env = make_server_env(isolation_level=level)
    keys = fresh_keys(10)
    retries: Counter[str] = Counter()
    lock = threading.Lock()

    def count(_attempt: int, error: RetryableError, _delay: float) -> None:
        with lock:
            retries[type(error).__name__] += 1

    def attempt(key: str) -> int:
        return run(
            lambda: UnitOfWork(env.db),
            lambda uow: int(uow.repository(env.models.User).first_or_create(email=key).id),
            attempts=20,
            on_retry=count,
        )

    ids, errors = run_race(THREADS, keys, attempt)
    assert errors == []
    assert_one_row_each(env, keys, ids)
    assert all(len(ids[key]) == THREADS for key in keys)
    print(f"\n{server_env.backend} {level} via run(): {THREADS * len(keys)} units, retries {dict(retries)}")


@pytest.mark.parametrize("level", LEVELS)
def test_several_keys_in_sorted_order_never_deadlock_under_read_committed(
    server_env: Env, make_server_env: EnvFactory, level: str
) -> None:
    env = make_server_env(isolation_level=level)
    keys = sorted(fresh_keys(3))
    outcomes: list[BaseException | None] = []

    def attempt(_round: str) -> int:
        with UnitOfWork(env.db) as uow:
            users = uow.repository(env.models.User)
            return len([users.first_or_create(email=key) for key in keys])  # sorted: one lock order

    _, errors = run_race(THREADS, [f"round-{n}" for n in range(3)], attempt)
    outcomes.extend(errors)
    assert all(isinstance(error, RetryableError) for error in errors), errors
    if level == "READ COMMITTED":
        assert errors == []
    assert_one_row_each(env, keys, {})
    print(f"\n{server_env.backend} {level} 3 sorted keys: {len(errors)} retryable errors")
