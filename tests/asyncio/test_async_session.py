"""The helpers on an AsyncSession keep every promise of the sync ones, on every async driver."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from datalayer.asyncio import AsyncSession
from datalayer.errors import ConflictError, UnknownAttributeError
from tests.conftest import AsyncEnv


async def count_users(aenv: AsyncEnv) -> int:
    async with aenv.adb.Session() as other:  # a connection of its own: sees committed rows only
        return int(await other.scalar(select(func.count()).select_from(aenv.models.User)) or 0)


async def test_the_session_factory_makes_datalayers_async_session(aenv: AsyncEnv) -> None:
    async with aenv.adb.Session() as s:
        assert isinstance(s, AsyncSession)


async def test_create_flushes_and_never_commits(aenv: AsyncEnv) -> None:
    User = aenv.models.User
    async with aenv.adb.Session() as s:
        user = await s.create(User, email="a@example.com")
        assert user.id is not None  # flushed: the database gave the key
        assert await count_users(aenv) == 0
        await s.commit()
    assert await count_users(aenv) == 1


async def test_first_and_all_are_ordered_by_primary_key(aenv: AsyncEnv) -> None:
    User = aenv.models.User
    async with aenv.adb.Session() as s:
        ids = [(await s.create(User, email=f"{n}@example.com", name="same")).id for n in range(3)]
        first = await s.first(User, name="same")
        assert first is not None and first.id == min(ids)
        assert [u.id for u in await s.all(User, name="same")] == sorted(ids)
        assert await s.first(User, name="nobody") is None


async def test_first_or_create_returns_the_existing_row_or_creates_one(aenv: AsyncEnv) -> None:
    User = aenv.models.User
    async with aenv.adb.Session() as s:
        made = await s.first_or_create(User, email="a@example.com")
        again = await s.first_or_create(User, email="a@example.com")
        assert again is made
        await s.commit()
    assert await count_users(aenv) == 1


async def test_create_or_first_keeps_the_callers_pending_and_flushed_work(aenv: AsyncEnv) -> None:
    User, Order = aenv.models.User, aenv.models.Order
    async with aenv.adb.Session() as s:
        owner = await s.create(User, email="owner@example.com")
        await s.commit()
    async with aenv.adb.Session() as s:
        flushed = await s.create(Order, user_id=owner.id, item="flushed")
        pending = Order(user_id=owner.id, item="pending")
        s.add(pending)
        existing = await s.create_or_first(User, email="owner@example.com")
        assert existing is not None and existing.id == owner.id
        await s.commit()
        items = sorted(o.item for o in await s.all(Order))
    assert items == ["flushed", "pending"]
    assert flushed.id is not None


async def test_only_unique_violations_count_as_existing(aenv: AsyncEnv) -> None:
    Order = aenv.models.Order
    async with aenv.adb.Session() as s:
        with pytest.raises(Exception) as raised:  # a foreign key violation is not "exists"
            await s.create_or_first(Order, user_id=987654, item="orphan")
        assert not isinstance(raised.value, ConflictError) or "foreign" in str(raised.value).lower()


async def test_unknown_attributes_are_named_with_the_model(aenv: AsyncEnv) -> None:
    async with aenv.adb.Session() as s:
        with pytest.raises(UnknownAttributeError, match=r"User.*emial|emial.*User"):
            await s.first(aenv.models.User, emial="a@example.com")


async def test_create_many_inserts_every_row(aenv: AsyncEnv) -> None:
    User = aenv.models.User
    async with aenv.adb.Session() as s:
        users = await s.create_many(User, [{"email": f"{n}@example.com"} for n in range(5)])
        assert [u.email for u in users] == [f"{n}@example.com" for n in range(5)]
        await s.commit()
    assert await count_users(aenv) == 5


async def test_a_savepoint_rollback_undoes_only_its_part(aenv: AsyncEnv) -> None:
    User = aenv.models.User
    async with aenv.adb.Session() as s:
        await s.create(User, email="kept@example.com")
        async with s.begin_nested() as savepoint:
            await s.create(User, email="undone@example.com")
            await savepoint.rollback()
        await s.commit()
    async with aenv.adb.Session() as s:
        assert [u.email for u in await s.all(User)] == ["kept@example.com"]
