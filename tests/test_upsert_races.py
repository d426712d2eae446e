"""Racing upserts on the same keys, each caller in its own unit of work, against a real database.

Every caller writes both names with its own mark: the row must end up holding one
caller's marks in both columns, never one caller's first name and another's last.
These tests commit for real: their keys are unique to each run, and the fixtures
delete every row afterwards.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest

from datalayer import Database, UnitOfWork, run
from datalayer.errors import SerializationError
from tests._race import fresh_keys, race_in_processes, run_race
from tests.conftest import Env, EnvFactory
from tests.models import define_models

THREADS = 8
KEYS = 12


def mark() -> str:
    """This caller's mark: its process and thread."""
    return f"{os.getpid() % 10_000}.{threading.get_ident() % 100_000}"


def upsert_attempt(env: Env) -> Callable[[str], int]:
    def attempt(key: str) -> int:
        mine = mark()
        with UnitOfWork(env.db) as uow:
            found = uow.repository(env.models.Account).upsert(
                match=("login",), login=key, first_name=mine, last_name=mine
            )
            assert (found.first_name, found.last_name) == (mine, mine)  # what this caller stored
            return int(found.id)

    return attempt


def assert_one_callers_row_per_key(
    env: Env, keys: list[str], ids: dict[str, list[int]], callers: int
) -> None:
    with env.db.Session() as dbs:
        for key in keys:
            rows = dbs.all(env.models.Account, login=key)
            assert len(rows) == 1, f"{key}: {len(rows)} rows"
            assert ids[key] == [rows[0].id] * callers, f"{key}: callers got {ids[key]}"
            assert rows[0].first_name == rows[0].last_name, f"{key}: a mix of two callers' values"


def test_racing_upserts_end_in_one_row_holding_one_callers_values(server_env: Env) -> None:
    keys = fresh_keys(KEYS)
    ids, errors = run_race(THREADS, keys, upsert_attempt(server_env))
    assert errors == []
    assert_one_callers_row_per_key(server_env, keys, ids, THREADS)


@pytest.mark.only("sqlite")
def test_racing_upserts_on_sqlite_wait_for_each_other_and_end_in_one_row(env: Env) -> None:
    keys = fresh_keys(4)
    ids, errors = run_race(4, keys, upsert_attempt(env))
    assert errors == []
    assert_one_callers_row_per_key(env, keys, ids, 4)


def test_racing_upsert_many_calls_end_in_one_row_per_key_holding_one_callers_values(server_env: Env) -> None:
    keys = fresh_keys(KEYS)

    def attempt(key: str) -> int:
        mine = mark()
        rows = [{"login": f"{key}-{n}", "first_name": mine, "last_name": mine} for n in range(3)]

        def unit(uow: UnitOfWork) -> list[Any]:
            return uow.repository(server_env.models.Account).upsert_many(rows, match=("login",))

        made = run(lambda: UnitOfWork(server_env.db), unit, attempts=10)  # a deadlock is retried
        assert [(a.first_name, a.last_name) for a in made] == [(mine, mine)] * 3
        return int(made[0].id)

    ids, errors = run_race(THREADS, keys, attempt)
    assert errors == []
    firsts = {f"{key}-0": found for key, found in ids.items()}
    assert_one_callers_row_per_key(server_env, list(firsts), firsts, THREADS)


def upsert_in_a_process(url: str, keys: list[str], barrier: Any, results: Any) -> None:
    """One competing process: its own Database, engine and pool, one unit of work per key."""
    db = Database(url)
    models = define_models(db)
    try:
        for key in keys:
            barrier.wait()
            mine = mark()
            try:
                with UnitOfWork(db) as uow:
                    found = uow.repository(models.Account).upsert(
                        match=("login",), login=key, first_name=mine, last_name=mine
                    )
                    results.put((key, found.id, found.first_name == found.last_name == mine))
            except Exception as exc:  # reported to the parent, which asserts on it
                results.put((key, repr(exc), False))
    finally:
        db.dispose()


def test_racing_processes_upsert_one_row_holding_one_callers_values(server_env: Env) -> None:
    processes, keys = 4, fresh_keys(5)
    got = race_in_processes(upsert_in_a_process, (server_env.url, keys), processes, len(keys))
    assert all(own for _, _, own in got), got
    ids = {key: [found for k, found, _ in got if k == key] for key in keys}
    assert_one_callers_row_per_key(server_env, keys, ids, processes)


@pytest.mark.only("mariadb")
def test_mariadb_repeatable_read_upserts_end_in_one_row_holding_one_callers_values(
    server_env: Env, make_server_env: EnvFactory
) -> None:
    repeatable = make_server_env(isolation_level="REPEATABLE READ")
    keys = fresh_keys(KEYS)
    ids, errors = run_race(THREADS, keys, upsert_attempt(repeatable))
    assert errors == []
    assert_one_callers_row_per_key(repeatable, keys, ids, THREADS)


@pytest.mark.only("postgresql")
def test_postgresql_snapshot_upserts_meeting_a_later_row_fail_as_retryable(
    server_env: Env, make_server_env: EnvFactory
) -> None:
    repeatable = make_server_env(isolation_level="REPEATABLE READ")
    Account = repeatable.models.Account
    with pytest.raises(SerializationError), UnitOfWork(repeatable.db) as uow:
        uow.repository(Account).count()  # the snapshot is taken
        with UnitOfWork(server_env.db) as other:
            other.repository(server_env.models.Account).upsert(match=("login",), login="late", first_name="x")
        uow.repository(Account).upsert(match=("login",), login="late", first_name="mine")
    made = run(
        lambda: UnitOfWork(repeatable.db),
        lambda uow: uow.repository(Account).upsert(match=("login",), login="late", first_name="mine"),
    )
    assert made.first_name == "mine"
