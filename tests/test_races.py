"""Many threads, each in its own unit of work, racing on the same keys against a real server.

These tests commit for real: their keys are unique to each run, and the ``server_env``
fixture deletes every row afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from datalayer import Database, UnitOfWork
from tests._race import fresh_keys, race_in_processes, run_race
from tests.conftest import Env, EnvFactory
from tests.models import define_models

THREADS = 8
KEYS = 12


def assert_one_row_per_key(
    env: Env, db: Database, keys: list[str], ids: dict[str, list[int]], threads: int = THREADS
) -> None:
    with db.Session() as dbs:
        for key in keys:
            rows = dbs.all(env.models.User, email=key)
            assert len(rows) == 1, f"{key}: {len(rows)} rows"
            assert ids[key] == [rows[0].id] * threads, f"{key}: callers got {ids[key]}"


def unit_attempt(env: Env, db: Database, helper: str) -> Callable[[str], int]:
    def attempt(key: str) -> int:
        with UnitOfWork(db) as uow:
            users = uow.repository(env.models.User)
            found = getattr(users, helper)(email=key, name="racer")
            assert found is not None
            return int(found.id)

    return attempt


@pytest.mark.parametrize("helper", ["first_or_create", "create_or_first"])
def test_racing_units_of_work_get_one_row_and_the_same_id(server_env: Env, helper: str) -> None:
    keys = fresh_keys(KEYS)
    ids, errors = run_race(THREADS, keys, unit_attempt(server_env, server_env.db, helper))
    assert errors == []
    assert_one_row_per_key(server_env, server_env.db, keys, ids)


@pytest.mark.parametrize("helper", ["first_or_create", "create_or_first"])
def test_racing_scoped_sessions_get_one_row_and_the_same_id(server_env: Env, helper: str) -> None:
    db = server_env.db

    def attempt(key: str) -> int:
        try:
            found = getattr(db.s, helper)(server_env.models.User, email=key)
            db.s.commit()
            return int(found.id)
        finally:
            db.s.remove()

    keys = fresh_keys(KEYS)
    ids, errors = run_race(THREADS, keys, attempt)
    assert errors == []
    assert_one_row_per_key(server_env, db, keys, ids)


def race_in_a_process(
    url: str, options: dict[str, Any], keys: list[str], helper: str, barrier: Any, results: Any
) -> None:
    """One competing process: its own Database (``options`` its engine's), engine and pool, a unit per key."""
    db = Database(url, **options)
    models = define_models(db)
    try:
        for key in keys:
            barrier.wait()
            try:
                with UnitOfWork(db) as uow:
                    results.put((key, getattr(uow.repository(models.User), helper)(email=key).id))
            except Exception as exc:  # reported to the parent, which asserts on it
                results.put((key, repr(exc)))
    finally:
        db.dispose()


@pytest.mark.parametrize("helper", ["first_or_create", "create_or_first"])
def test_racing_processes_get_one_row_and_the_same_id(server_env: Env, helper: str) -> None:
    processes, keys = 4, fresh_keys(5)
    arguments = (server_env.url, server_env.engine_options, keys, helper)
    got = race_in_processes(race_in_a_process, arguments, processes, len(keys))
    with server_env.db.Session() as dbs:
        for key in keys:
            rows = dbs.all(server_env.models.User, email=key)
            assert len(rows) == 1
            assert sorted(found for k, found in got if k == key) == [rows[0].id] * processes


@pytest.mark.only("mariadb")
@pytest.mark.parametrize("helper", ["first_or_create", "create_or_first"])
def test_mariadb_repeatable_read_races_still_see_the_winners_row(
    server_env: Env, make_server_env: EnvFactory, helper: str
) -> None:
    repeatable = make_server_env(isolation_level="REPEATABLE READ")
    keys = fresh_keys(KEYS)
    ids, errors = run_race(THREADS, keys, unit_attempt(repeatable, repeatable.db, helper))
    assert errors == []
    assert_one_row_per_key(repeatable, repeatable.db, keys, ids)


MANY = 40


@pytest.mark.parametrize("helper", ["first_or_create", "create_or_first"])
def test_forty_units_of_work_racing_on_one_key_get_one_row_and_the_same_id(
    server_env: Env, make_server_env: EnvFactory, helper: str
) -> None:
    crowded = make_server_env(pool_size=MANY)  # every racer holds a connection at once
    keys = fresh_keys(3)
    ids, errors = run_race(MANY, keys, unit_attempt(crowded, crowded.db, helper))
    assert errors == []
    assert_one_row_per_key(crowded, crowded.db, keys, ids, MANY)


@pytest.mark.only("mariadb")
@pytest.mark.parametrize("helper", ["first_or_create", "create_or_first"])
def test_forty_mariadb_units_at_repeatable_read_racing_on_one_key_get_one_row(
    server_env: Env, make_server_env: EnvFactory, helper: str
) -> None:
    crowded = make_server_env(pool_size=MANY, isolation_level="REPEATABLE READ")
    keys = fresh_keys(3)
    ids, errors = run_race(MANY, keys, unit_attempt(crowded, crowded.db, helper))
    assert errors == []
    assert_one_row_per_key(crowded, crowded.db, keys, ids, MANY)
