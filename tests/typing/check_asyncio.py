"""Typing checks of the asyncio API: read by mypy and pyright (strict) in CI, never run.

Each ``assert_type`` fails the type check if the library's annotations lose precision.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import assert_type

import attrs
from sqlalchemy import Select, String
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from datalayer import AsyncRepositoryContract, Database, Session, view
from datalayer.asyncio import AsyncDatabase, AsyncSession, AsyncUnitOfWork
from datalayer.testing import FakeAsyncRepository
from repositories import AsyncRepository, Repository


class Base(DeclarativeBase):
    """A declarative base of the application's own."""


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)


adb = AsyncDatabase("sqlite+aiosqlite://", model_class=Base)
shared = AsyncDatabase("sqlite+aiosqlite://", model_class=Database("sqlite://", model_class=Base).Model)


class Users(AsyncRepository[User]):
    async def by_email(self, email: str) -> User | None:
        return await self.first(email=email)


class AppUnitOfWork(AsyncUnitOfWork):
    database = adb
    users: Users
    plain: AsyncRepository[User]


async def check_database() -> None:
    assert_type(adb.engine, AsyncEngine)
    assert_type(adb.Session, async_sessionmaker[AsyncSession])
    assert_type(adb.Model, type[DeclarativeBase])
    assert_type(shared.Model, type[DeclarativeBase])
    assert_type(adb.Session(), AsyncSession)
    async with adb.Session() as s:
        assert_type(s, AsyncSession)
    assert_type(await adb.create_all(), None)
    assert_type(await adb.drop_all(), None)
    assert_type(await adb.dispose(), None)


def register_sync(session: Session, email: str) -> User:
    """Sync code, typed with datalayer's Session, run through the bridge by ``run_sync``."""
    return session.first_or_create(User, email=email)


async def check_session_helpers(s: AsyncSession) -> None:
    assert_type(await s.first(User, email="x"), User | None)
    assert_type(await s.all(User), list[User])
    assert_type(await s.create(User, email="x"), User)
    assert_type(await s.first_or_create(User, email="x"), User)
    assert_type(await s.create_or_first(User, email="x"), User)
    assert_type(await s.create_many(User, [{"email": "x"}]), list[User])
    assert_type(await s.create_many(User, [{"email": "x"}], returning=False), int)
    assert_type(await s.upsert(User, match=("email",), email="x"), User)
    assert_type(await s.upsert_many(User, [{"email": "x"}], match=("email",)), list[User])
    assert_type(await s.get(User, 1), User | None)
    assert_type(s.sync_session, Session)  # sync_session_class = datalayer.Session
    assert_type(await s.run_sync(register_sync, "x"), User)  # sync code typed with datalayer's Session


@view(User)
@attrs.frozen
class UserRow:
    id: int
    email: str


async def check_views(s: AsyncSession) -> None:
    assert_type(await s.first(UserRow, email="x"), UserRow | None)
    assert_type(await s.all(UserRow), list[UserRow])
    assert_type(await s.get(UserRow, 1), UserRow | None)
    rows = AsyncRepository(s, UserRow)
    assert_type(rows, AsyncRepository[UserRow])
    assert_type(await rows.get_one(1), UserRow)
    assert_type(await rows.page(10), list[UserRow])
    assert_type(rows.stream(), AsyncIterator[UserRow])


async def check_repository(s: AsyncSession) -> None:
    users = Users(s)
    assert_type(users.model, type[User])
    assert_type(users.session, sa_asyncio.AsyncSession)  # any AsyncSession, as Repository takes any session
    assert_type(users.sync, Repository[User])
    assert_type(await users.by_email("x"), User | None)
    assert_type(await users.get(1), User | None)
    assert_type(await users.get_one(1), User)
    assert_type(await users.all(email="x"), list[User])
    assert_type(await users.first(), User | None)
    assert_type(await users.first(email="x"), User | None)
    assert_type(await users.create(email="x"), User)
    assert_type(await users.first_or_create(email="x"), User)
    assert_type(await users.create_or_first(email="x"), User)
    assert_type(await users.create_many([{"email": "x"}]), list[User])
    assert_type(await users.create_many([{"email": "x"}], returning=False), int)
    assert_type(await users.upsert(match=("email",), email="x"), User)
    assert_type(await users.upsert_many([{"email": "x"}], match=("email",)), list[User])
    assert_type(users.stream(), AsyncIterator[User])
    assert_type(users.stream(batch_size=10, email="x"), AsyncIterator[User])
    async for streamed in users.stream():
        assert_type(streamed, User)
    assert_type(await users.page(10, after=5), list[User])
    assert_type(await users.count(), int)
    assert_type(await users.exists(email="x"), bool)
    assert_type(await users.add(User(email="x")), User)
    assert_type(await users.delete(User(email="x")), None)
    assert_type(users.select(), Select[User])
    assert_type(await users.scalars(users.select().where(User.id > 1)), list[User])
    assert_type(AsyncRepository(s, User), AsyncRepository[User])


async def check_unit_of_work() -> None:
    async with AppUnitOfWork() as uow:
        assert_type(uow, AppUnitOfWork)
        assert_type(uow.users, Users)
        assert_type(uow.plain, AsyncRepository[User])
        assert_type(uow.session, AsyncSession)
        assert_type(uow.repository(User), AsyncRepository[User])
        assert_type(await uow.users.first(email="x"), User | None)
        assert_type(await uow.commit(), None)
        assert_type(await uow.rollback(), None)
    async with AsyncUnitOfWork(adb, read_only=True) as reader:
        assert_type(reader, AsyncUnitOfWork)
        assert_type(await reader.repository(User).count(), int)
    async with AppUnitOfWork(read_only=True) as read_only:
        assert_type(read_only.read_only, bool)
        assert_type(await read_only.users.get_one(1), User)


async def rename_async(users: AsyncRepositoryContract[User], user_id: int, email: str) -> User:
    user = await users.get_one(user_id)
    user.email = email
    return user


def check_async_contract(s: AsyncSession) -> None:
    real: AsyncRepositoryContract[User] = AsyncRepository(s, User)
    subclass: AsyncRepositoryContract[User] = Users(s)
    fake: AsyncRepositoryContract[User] = FakeAsyncRepository(User)
    assert_type(real.stream(), AsyncIterator[User])
    del subclass, fake


async def check_async_fake_upserts() -> None:
    users = FakeAsyncRepository(User)
    assert_type(await users.upsert(match=("email",), email="x"), User)
    assert_type(await users.upsert_many([{"email": "x"}], match="email"), list[User])
