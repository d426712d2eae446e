"""Nothing in the async path blocks the event loop: while one task's helper waits on the database,
another task keeps running."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import text

from datalayer.asyncio import AsyncUnitOfWork
from tests._outsider import committed_emails
from tests.conftest import AsyncEnv

HOLD = 1.0  # seconds another connection keeps the key locked


def hold_the_key(aenv: AsyncEnv, key: str, locked: threading.Event) -> None:
    """Lock ``key`` (SQLite: the whole database) from another connection for HOLD seconds, then give up."""
    with aenv.sync.db.engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(text("INSERT INTO t_users (email) VALUES (:key)"), {"key": key})
        locked.set()
        threading.Event().wait(HOLD)
        transaction.rollback()


async def test_a_helper_waiting_on_a_lock_lets_other_tasks_run(aenv: AsyncEnv) -> None:
    locked = threading.Event()
    holder = threading.Thread(target=hold_the_key, args=(aenv, "held@x.org", locked))
    holder.start()
    assert await asyncio.to_thread(locked.wait, 10)
    ticks = 0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        async with AsyncUnitOfWork(aenv.adb) as uow:
            user = await uow.repository(aenv.models.User).create_or_first(email="held@x.org")
        waited = loop.time() - started
    finally:
        done.set()
        await ticker
        await asyncio.to_thread(holder.join, 30)
    assert user.email == "held@x.org"
    assert committed_emails(aenv.sync) == {"held@x.org"}
    assert waited >= HOLD * 0.5, f"the helper did not wait for the lock ({waited:.2f} s)"
    assert ticks >= waited / 0.01 / 4, f"{ticks} ticks in {waited:.2f} s: the event loop was blocked"
