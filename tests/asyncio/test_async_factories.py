"""ModelFactory in async tests: awaited, on the async test session, inside its transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from datalayer.asyncio import AsyncDatabase, AsyncSession, AsyncUnitOfWork
from datalayer.errors import UsageError
from tests.conftest import AsyncEnv


async def test_create_async_flushes_into_the_async_test_session(
    aenv: AsyncEnv, async_db_session: AsyncSession
) -> None:
    user = await aenv.sync.factories.User.create_async(email="a@x.org")
    assert user.id is not None and user in async_db_session
    assert await async_db_session.get(aenv.models.User, user.id) is user


async def test_a_plain_call_in_an_async_test_says_to_await_and_adds_nothing(
    aenv: AsyncEnv, async_db_session: AsyncSession
) -> None:
    with pytest.raises(UsageError, match=r"await UserFactory\.create_async"):
        aenv.sync.factories.User()
    assert not async_db_session.new and await async_db_session.all(aenv.models.User) == []


async def test_sub_and_related_factories_create_their_rows_in_the_same_session(
    aenv: AsyncEnv, async_db_session: AsyncSession
) -> None:
    order = await aenv.sync.factories.Order.create_async()
    assert order.user in async_db_session and order.user.id == order.user_id
    user = await aenv.sync.factories.UserWithOrders.create_async()
    orders = await async_db_session.all(aenv.models.Order, user_id=user.id)
    assert len(orders) == 2 and len(await async_db_session.all(aenv.models.User)) == 2


async def test_post_generation_changes_are_flushed(
    aenv: AsyncEnv, datalayer_async_db: AsyncDatabase, async_db_session: AsyncSession
) -> None:
    user = await aenv.sync.factories.User.create_async(nickname="ada")
    async with datalayer_async_db.Session() as other:  # another session on the test's connection
        assert (
            await other.scalar(select(aenv.models.User.name).where(aenv.models.User.id == user.id)) == "ADA"
        )


async def test_create_batch_async_creates_every_object(
    aenv: AsyncEnv, async_db_session: AsyncSession
) -> None:
    users = await aenv.sync.factories.User.create_batch_async(5, name="same")
    assert len({user.id for user in users}) == 5
    assert len(await async_db_session.all(aenv.models.User, name="same")) == 5


async def test_get_or_create_reuses_the_row_and_keeps_the_sessions_other_work(
    aenv: AsyncEnv, async_db_session: AsyncSession
) -> None:
    user = await aenv.sync.factories.User.create_async()
    first = await aenv.sync.factories.Tag.create_async(label="python")
    assert await aenv.sync.factories.Tag.create_async(label="python") is first
    assert len(await async_db_session.all(aenv.models.Tag)) == 1 and user in async_db_session


async def test_the_code_under_test_sees_the_factories_rows(
    aenv: AsyncEnv, datalayer_async_db: AsyncDatabase, async_db_session: AsyncSession
) -> None:
    user = await aenv.sync.factories.User.create_async(email="arranged@x.org")
    async with AsyncUnitOfWork(datalayer_async_db) as uow:
        found = await uow.repository(aenv.models.User).first(email="arranged@x.org")
        assert found is not None and found.id == user.id


async def test_factories_also_run_inside_run_sync(aenv: AsyncEnv, async_db_session: AsyncSession) -> None:
    users = await async_db_session.run_sync(lambda _: aenv.sync.factories.User.create_batch(2))
    assert all(user in async_db_session for user in users)


async def test_factories_commit_under_async_committing_db(
    aenv: AsyncEnv, async_committing_db: AsyncDatabase
) -> None:
    user = await aenv.sync.factories.User.create_async()
    with aenv.sync.db.engine.connect() as connection:  # a connection of its own sees it
        found = connection.execute(select(aenv.models.User.id).where(aenv.models.User.id == user.id))
        assert found.scalar_one() == user.id
