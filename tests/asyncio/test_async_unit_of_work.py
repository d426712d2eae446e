"""AsyncUnitOfWork keeps the sync unit's promises: it is that unit's block, run through the bridge."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from datalayer.asyncio import AsyncSession, AsyncUnitOfWork, run, transactional
from datalayer.errors import (
    ConflictError,
    DeadlockError,
    PartiallyCommittedError,
    ReadOnlyError,
    TransactionAbortedError,
    UsageError,
)
from repositories import AsyncRepository
from tests._outsider import committed_emails
from tests.conftest import AsyncEnv


class Boom(Exception):
    """The caller's own failure, raised inside a unit: it must roll the unit back and leave as itself."""


ABORTING = {
    "postgresql": "SELECT 1/0",  # PostgreSQL aborts the transaction on any failure
    "sqlite": "INSERT OR ROLLBACK INTO t_users (email) VALUES ('before@x.org')",  # the duplicate rolls back
}


def emails(aenv: AsyncEnv) -> set[str]:
    return committed_emails(aenv.sync)


def checked_out(aenv: AsyncEnv) -> int:
    return int(aenv.adb.engine.sync_engine.pool.checkedout())  # type: ignore[attr-defined]


def unit_class(aenv: AsyncEnv) -> type[AsyncUnitOfWork]:
    class Users(AsyncRepository[aenv.models.User]):  # type: ignore[name-defined]
        async def by_email(self, email: str) -> Any:
            """A query of the subclass's own, built on the inherited helpers."""
            return await self.first(email=email)

    class Unit(AsyncUnitOfWork):
        database = aenv.adb

    Unit.__annotations__["users"] = Users  # an object, not a string: the class is local to this function
    return Unit


async def test_a_clean_exit_commits_and_returns_the_connection(aenv: AsyncEnv) -> None:
    async with unit_class(aenv)() as uow:
        user = await uow.users.create(email="a@x.org")
        assert isinstance(uow.session, AsyncSession)
        assert await uow.users.by_email("a@x.org") is user  # the declared subclass, on the unit's session
        assert emails(aenv) == set()  # not before the exit
    assert emails(aenv) == {"a@x.org"}
    assert user.email == "a@x.org"  # objects stay readable after the block
    assert checked_out(aenv) == 0


async def test_an_exception_rolls_back_and_propagates(aenv: AsyncEnv) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with unit_class(aenv)() as uow:
            await uow.users.create(email="a@x.org")
            raise RuntimeError("boom")
    assert emails(aenv) == set()
    assert checked_out(aenv) == 0


async def test_errors_leave_the_block_as_datalayers_own(aenv: AsyncEnv) -> None:
    async with unit_class(aenv)() as uow:
        await uow.users.create(email="a@x.org")
    with pytest.raises(ConflictError):
        async with unit_class(aenv)() as uow:
            uow.session.add(aenv.models.User(email="a@x.org"))
    assert emails(aenv) == {"a@x.org"}


async def test_a_read_only_unit_refuses_writes_and_never_commits(aenv: AsyncEnv) -> None:
    with pytest.raises(ReadOnlyError):
        async with unit_class(aenv)(read_only=True) as uow:
            await uow.users.create(email="a@x.org")
    async with unit_class(aenv)(read_only=True) as uow:
        assert await uow.users.count() == 0
        with pytest.raises(ReadOnlyError):
            await uow.commit()
    assert emails(aenv) == set()


async def test_the_session_and_repositories_exist_only_inside_the_block(aenv: AsyncEnv) -> None:
    unit = unit_class(aenv)()
    with pytest.raises(UsageError, match="async with unit as uow"):
        unit.session  # noqa: B018
    with pytest.raises(AttributeError, match="only inside the `async with` block"):
        unit.users  # noqa: B018
    async with unit as uow:
        assert await uow.users.count() == 0
    with pytest.raises(AttributeError, match="only inside the `async with` block"):
        unit.users  # noqa: B018
    with pytest.raises(Boom):
        async with unit as uow:
            assert await uow.users.count() == 0
            raise Boom
    with pytest.raises(AttributeError, match="only inside the `async with` block"):
        unit.users  # noqa: B018


async def test_entering_the_unit_again_in_the_same_task_joins_its_transaction(aenv: AsyncEnv) -> None:
    unit = unit_class(aenv)()
    async with unit as outer:
        await outer.users.create(email="outer@x.org")
        async with unit as inner:
            assert inner.session is outer.session
            await inner.users.create(email="inner@x.org")
        assert await outer.users.count() == 2  # the inner exit leaves the outer block's repositories
        assert emails(aenv) == set()  # the outermost block commits
    assert emails(aenv) == {"outer@x.org", "inner@x.org"}


async def test_another_task_cannot_enter_an_active_unit(aenv: AsyncEnv) -> None:
    unit = unit_class(aenv)()

    async def intrude() -> None:
        async with unit as intruder:
            await intruder.users.create(email="intruder@x.org")

    async with unit as uow:
        await uow.users.create(email="owner@x.org")
        with pytest.raises(UsageError, match="active in another task"):
            await asyncio.create_task(intrude())
    assert emails(aenv) == {"owner@x.org"}


async def test_work_committed_mid_unit_is_never_retried(aenv: AsyncEnv) -> None:
    Unit = unit_class(aenv)
    calls: list[int] = []

    async def pay(uow: Any) -> None:
        calls.append(1)
        await uow.users.create(email=f"payment-{len(calls)}@x.org")
        await uow.commit()
        raise DeadlockError("deadlock: retry the unit of work")

    with pytest.raises(PartiallyCommittedError, match="Not retried"):
        await run(Unit, pay, backoff=0)
    assert calls == [1]
    assert emails(aenv) == {"payment-1@x.org"}


async def test_run_retries_transient_failures_in_a_fresh_unit(aenv: AsyncEnv) -> None:
    Unit = unit_class(aenv)
    sessions: list[object] = []

    @transactional(Unit, backoff=0)
    async def register(uow: Any, email: str) -> str:
        sessions.append(uow.session)
        await uow.users.create(email=f"{email}-{len(sessions)}")
        if len(sessions) < 3:
            raise DeadlockError("deadlock: retry the unit of work")
        return email

    assert await register("a@x.org") == "a@x.org"
    assert len(set(map(id, sessions))) == 3
    assert emails(aenv) == {"a@x.org-3"}


async def test_a_released_savepoint_is_not_a_commit_and_the_unit_is_still_retried(aenv: AsyncEnv) -> None:
    Unit = unit_class(aenv)
    attempts: list[int] = []

    @transactional(Unit, backoff=0)
    async def register(uow: Any) -> None:
        attempts.append(1)
        await uow.users.create_or_first(email=f"a-{len(attempts)}@x.org")  # a SAVEPOINT where not native
        async with uow.session.begin_nested():
            await uow.users.create(email=f"b-{len(attempts)}@x.org")
        if len(attempts) < 2:
            raise DeadlockError("deadlock after the savepoints were released")

    await register()
    assert len(attempts) == 2
    assert emails(aenv) == {"a-2@x.org", "b-2@x.org"}


async def test_run_lets_other_errors_through_at_once(aenv: AsyncEnv) -> None:
    calls: list[int] = []

    async def fail(_uow: Any) -> None:
        calls.append(1)
        raise ValueError("not transient")

    with pytest.raises(ValueError, match="not transient"):
        await run(unit_class(aenv), fail, backoff=0)
    assert calls == [1]
    with pytest.raises(UsageError, match="attempts"):
        await run(unit_class(aenv), fail, attempts=0)


@pytest.mark.only("postgresql", "sqlite")
async def test_a_unit_whose_transaction_the_database_rolled_back_never_reports_a_commit(
    aenv: AsyncEnv,
) -> None:
    async with unit_class(aenv)() as uow:
        await uow.users.create(email="before@x.org")
    with pytest.raises(TransactionAbortedError, match="nothing of the transaction"):
        async with unit_class(aenv)() as uow:
            await uow.users.create(email="lost@x.org")
            with pytest.raises(sa_exc.DBAPIError):
                await uow.session.execute(text(ABORTING[aenv.backend]))
    assert emails(aenv) == {"before@x.org"}
    assert checked_out(aenv) == 0


async def test_a_failure_undone_by_its_own_savepoint_does_not_stop_the_commit(aenv: AsyncEnv) -> None:
    async with unit_class(aenv)() as uow:
        await uow.users.create(email="before@x.org")
    async with unit_class(aenv)() as uow:
        await uow.users.create(email="kept@x.org")
        with pytest.raises(sa_exc.DBAPIError):
            async with uow.session.begin_nested():
                await uow.session.execute(text("INSERT INTO t_users (email) VALUES ('before@x.org')"))
        await uow.users.create(email="after@x.org")
    assert emails(aenv) == {"before@x.org", "kept@x.org", "after@x.org"}


@pytest.mark.only("mariadb")
async def test_a_unit_chosen_as_a_deadlock_victim_never_reports_a_commit(aenv: AsyncEnv) -> None:
    Tag = aenv.models.Tag
    async with unit_class(aenv)() as uow:
        uow.session.add_all([Tag(label="one"), Tag(label="two")])
    ready = threading.Event()

    def other() -> None:  # the bigger transaction: it changes more rows, so InnoDB keeps it
        with aenv.sync.db.engine.connect() as connection, connection.begin() as transaction:
            connection.execute(text("INSERT INTO t_tags (label) VALUES ('w1'), ('w2'), ('w3'), ('w4')"))
            connection.execute(text("UPDATE t_tags SET label = 'two*' WHERE label = 'two'"))
            ready.set()
            connection.execute(text("UPDATE t_tags SET label = 'one**' WHERE label LIKE 'one%'"))
            transaction.rollback()

    with pytest.raises(TransactionAbortedError):
        async with unit_class(aenv)() as uow:
            await uow.users.create(email="lost@x.org")
            await uow.session.execute(text("UPDATE t_tags SET label = 'one*' WHERE label = 'one'"))
            thread = threading.Thread(target=other)
            thread.start()
            try:
                assert await asyncio.to_thread(ready.wait, 10)
                await asyncio.sleep(0.3)  # the other transaction now waits for the unit's row
                with pytest.raises(sa_exc.DBAPIError, match="1213"):
                    await uow.session.execute(
                        text("UPDATE t_tags SET label = 'two**' WHERE label LIKE 'two%'")
                    )
            finally:
                await asyncio.to_thread(thread.join, 30)
    assert emails(aenv) == set()
    assert checked_out(aenv) == 0
