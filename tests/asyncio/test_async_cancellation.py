"""A task cancelled inside ``async with unit:`` rolls back, re-raises CancelledError, frees its connection.

The cancellation lands at each await point in turn: before the first statement, while
a flush's INSERT is on the wire, and while the COMMIT is. An engine listener cancels
the task just before the driver sends the statement, so the CancelledError arrives
while the driver awaits the server's answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool

from datalayer.asyncio import AsyncUnitOfWork
from tests._outsider import committed_emails
from tests.conftest import AsyncEnv


def checked_out(aenv: AsyncEnv) -> int:
    return int(aenv.adb.engine.sync_engine.pool.checkedout())  # type: ignore[attr-defined]


class CancelOn:
    """Cancel the current task when the engine is about to send a statement matching ``prefix``."""

    def __init__(self, aenv: AsyncEnv, prefix: str, *, event_name: str = "before_cursor_execute") -> None:
        self.engine = aenv.adb.engine.sync_engine
        self.prefix = prefix
        self.event_name = event_name
        self.fired = 0

    def _before_statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(self.prefix):
            self._cancel()

    def _before_commit(self, _conn: Any) -> None:
        self._cancel()

    def _cancel(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        if not self.fired:
            task.cancel()
        self.fired += 1

    def __enter__(self) -> CancelOn:
        listener = self._before_commit if self.event_name == "commit" else self._before_statement
        event.listen(self.engine, self.event_name, listener)
        self._listener = listener
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, self.event_name, self._listener)


def write_at_once(aenv: AsyncEnv, email: str) -> None:
    """Insert ``email`` from another connection, failing fast if a lock still holds it; roll it back."""
    options: dict[str, Any] = {"connect_args": {"timeout": 2}} if aenv.backend == "sqlite" else {}
    engine = create_engine(aenv.sync.url, poolclass=NullPool, **options)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            if aenv.backend == "postgresql":
                connection.execute(text("SET LOCAL lock_timeout = '2s'"))
            elif aenv.backend == "mariadb":
                connection.execute(text("SET SESSION innodb_lock_wait_timeout = 2"))
            connection.execute(text("INSERT INTO t_users (email) VALUES (:email)"), {"email": email})
            transaction.rollback()
    finally:
        engine.dispose()


@pytest.fixture
def unit(aenv: AsyncEnv) -> Iterator[AsyncUnitOfWork]:
    yield AsyncUnitOfWork(aenv.adb)


async def run_cancelled(coroutine: Any) -> None:
    task = asyncio.ensure_future(coroutine)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def test_cancelled_before_the_first_statement(aenv: AsyncEnv, unit: AsyncUnitOfWork) -> None:
    started = asyncio.Event()

    async def work() -> None:
        async with unit as uow:
            uow.session.add(aenv.models.User(email="never@x.org"))
            started.set()
            await asyncio.sleep(30)  # cancelled here, before anything was sent

    task = asyncio.ensure_future(work())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert committed_emails(aenv.sync) == set()
    assert checked_out(aenv) == 0


async def test_cancelled_while_a_flush_is_on_the_wire(aenv: AsyncEnv, unit: AsyncUnitOfWork) -> None:
    async def work() -> None:
        async with unit as uow:
            await uow.session.create(aenv.models.User, email="first@x.org")
            with CancelOn(aenv, "INSERT"):
                await uow.session.create(aenv.models.User, email="cancelled@x.org")
            raise AssertionError("not reached: the flush was cancelled")

    await run_cancelled(work())
    assert committed_emails(aenv.sync) == set()  # rolled back, the first insert too
    assert checked_out(aenv) == 0
    write_at_once(aenv, "cancelled@x.org")  # no lock of the cancelled INSERT outlives it


async def test_cancelled_while_the_commit_is_on_the_wire(aenv: AsyncEnv, unit: AsyncUnitOfWork) -> None:
    outcome: list[BaseException] = []

    async def work() -> None:
        with CancelOn(aenv, "", event_name="commit"):
            try:
                async with unit as uow:
                    await uow.session.create(aenv.models.User, email="a@x.org")
                    await uow.session.create(aenv.models.User, email="b@x.org")
            except BaseException as error:
                outcome.append(error)
                raise

    await run_cancelled(work())
    # The COMMIT had gone out: the server decides, all or nothing; the connection is not kept.
    assert committed_emails(aenv.sync) in (set(), {"a@x.org", "b@x.org"})
    assert checked_out(aenv) == 0
    assert any("COMMIT" in note for note in getattr(outcome[0], "__notes__", [])), outcome


async def test_the_pool_stays_usable_after_cancellations(aenv: AsyncEnv) -> None:
    for _ in range(3):
        await test_cancelled_while_a_flush_is_on_the_wire(aenv, AsyncUnitOfWork(aenv.adb))
    async with AsyncUnitOfWork(aenv.adb) as uow:
        await uow.session.create(aenv.models.User, email="after@x.org")
    assert committed_emails(aenv.sync) == {"after@x.org"}
    assert checked_out(aenv) == 0
