"""Many tasks, each in its own AsyncUnitOfWork, racing on one key: one row, and every task gets its id.

These tests commit for real on the servers: their keys are unique to each run, and the
``server_aenv`` fixture deletes every row afterwards.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from typing import Any

import pytest
from sqlalchemy import make_url

from datalayer.asyncio import AsyncDatabase, AsyncUnitOfWork
from tests._outsider import committed_emails
from tests._race import fresh_keys
from tests.conftest import AsyncEnv
from tests.models import define_models

TASKS = 30
KEYS = 4


async def race(adb: AsyncDatabase, user: Any, helper: str, key: str, tasks: int) -> list[int]:
    """Release ``tasks`` tasks together on ``key``; the id each one's unit of work returned."""
    barrier = asyncio.Barrier(tasks)

    async def attempt() -> int:
        await barrier.wait()
        async with AsyncUnitOfWork(adb) as uow:
            found = await getattr(uow.repository(user), helper)(email=key, name="racer")
            assert found is not None
            return int(found.id)

    return list(await asyncio.gather(*(attempt() for _ in range(tasks))))


@pytest.mark.parametrize("helper", ["first_or_create", "create_or_first"])
async def test_racing_tasks_get_one_row_and_the_same_id(server_aenv: AsyncEnv, helper: str) -> None:
    url = server_aenv.adb.url
    adb = AsyncDatabase(url, model_class=server_aenv.sync.db.Model, pool_size=TASKS, max_overflow=0)
    try:
        keys = fresh_keys(KEYS)
        for key in keys:
            ids = await race(adb, server_aenv.models.User, helper, key, TASKS)
            async with adb.Session() as s:
                rows = await s.all(server_aenv.models.User, email=key)
            assert len(rows) == 1, f"{key}: {len(rows)} rows"
            assert ids == [rows[0].id] * TASKS, f"{key}: tasks got {ids}"
        assert adb.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await adb.dispose()


def race_in_a_process(url: str, keys: list[str], tasks: int, barrier: Any, results: Any) -> None:
    """One competing process: its own AsyncDatabase and event loop, ``tasks`` racing tasks per key."""

    async def main() -> None:
        from datalayer import Database

        adb = AsyncDatabase(url, pool_size=tasks, max_overflow=0)
        models = define_models(Database("sqlite://", model_class=adb.Model))  # the tables, on adb's base
        try:
            for key in keys:
                await asyncio.to_thread(barrier.wait)
                try:
                    for found in await race(adb, models.User, "first_or_create", key, tasks):
                        results.put((key, found))
                except Exception as exc:  # reported to the parent, which asserts on it
                    results.put((key, repr(exc)))
        finally:
            await adb.dispose()

    asyncio.run(main())


async def test_racing_tasks_in_two_processes_get_one_row_and_the_same_id(server_aenv: AsyncEnv) -> None:
    processes, tasks, keys = 2, 10, fresh_keys(3)
    url = make_url(server_aenv.adb.url).render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes, timeout=120), context.Queue()
    workers = [
        context.Process(target=race_in_a_process, args=(url, keys, tasks, barrier, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    got = [await asyncio.to_thread(results.get, timeout=120) for _ in range(processes * tasks * len(keys))]
    for worker in workers:
        await asyncio.to_thread(worker.join, 60)
    assert [worker.exitcode for worker in workers] == [0] * processes
    assert committed_emails(server_aenv.sync) >= set(keys)
    async with server_aenv.adb.Session() as s:
        for key in keys:
            rows = await s.all(server_aenv.models.User, email=key)
            assert len(rows) == 1
            assert [found for k, found in got if k == key] == [rows[0].id] * processes * tasks
