"""The query counter on an AsyncDatabase or AsyncEngine: what async units send, awaited in the block."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from sqlalchemy.orm import selectinload

from datalayer.asyncio import AsyncDatabase, AsyncSession, AsyncUnitOfWork
from datalayer.testing import QueryLog, assert_queries, count_queries
from tests.conftest import AsyncEnv

AssertQueries = Callable[[int], AbstractContextManager[QueryLog]]


async def test_an_async_unit_is_counted_without_its_transaction_control(
    aenv: AsyncEnv, datalayer_async_db: AsyncDatabase, async_assert_queries: AssertQueries
) -> None:
    with async_assert_queries(1) as log:  # SAVEPOINT / RELEASE left out
        async with AsyncUnitOfWork(datalayer_async_db) as uow:
            await uow.repository(aenv.models.User).create(email="a@x.org")
    assert log.statements[0].lstrip().upper().startswith("INSERT")


async def test_a_wrong_count_fails_and_lists_the_statements(
    aenv: AsyncEnv, async_db_session: AsyncSession, async_assert_queries: AssertQueries
) -> None:
    with pytest.raises(AssertionError) as raised, async_assert_queries(1):
        await async_db_session.first(aenv.models.User, email="a@x.org")
        await async_db_session.all(aenv.models.Tag)
    message = str(raised.value)
    assert message.startswith("expected 1 statements, the block ran 2:\n1. SELECT")
    assert "\n2. SELECT" in message and "t_tags" in message


async def test_eager_loading_runs_two_statements_however_many_rows(
    aenv: AsyncEnv, async_db_session: AsyncSession
) -> None:
    User = aenv.models.User
    for _ in range(3):
        await aenv.sync.factories.UserWithOrders.create_async()
    async_db_session.expunge_all()
    with assert_queries(aenv.adb, 2):  # the users, then every order at once
        users = await async_db_session.scalars(aenv.adb.select(User).options(selectinload(User.orders)))
        assert sum(len(user.orders) for user in users) == 6


async def test_each_helper_runs_the_fewest_statements(
    aenv: AsyncEnv, async_db_session: AsyncSession, async_assert_queries: AssertQueries
) -> None:
    User = aenv.models.User
    with async_assert_queries(1):
        user = await async_db_session.create(User, email="a@x.org")
    with async_assert_queries(1):
        assert await async_db_session.first_or_create(User, email="a@x.org") is user
    with async_assert_queries(1):
        await async_db_session.create_or_first(User, email="new@x.org")
    with async_assert_queries(2):  # the failed INSERT, then the re-read by the key
        assert await async_db_session.create_or_first(User, email="a@x.org") is user


async def test_count_queries_takes_the_async_engine_and_sees_every_connection(aenv: AsyncEnv) -> None:
    with count_queries(aenv.adb.engine) as log:
        async with aenv.adb.Session() as first, aenv.adb.Session() as second:
            await first.all(aenv.models.User)
            await second.all(aenv.models.Tag)
    assert len(log) == 2 and repr(log) == "QueryLog(2 statements)"
    with count_queries(aenv.adb) as log:
        async with AsyncUnitOfWork(aenv.adb) as uow:
            await uow.repository(aenv.models.User).count()
    assert len(log) == 1 and log.round_trips >= 1
