"""The async baseline: SQLAlchemy 2.x asyncio ORM, written the way a careful engineer writes it.

The same code as :mod:`.orm`, awaited: an ``AsyncSession`` from ``async_sessionmaker`` on a plain
``create_async_engine``, one ``Session.begin()`` block per batch, and create-or-first as an INSERT
inside a ``begin_nested()`` SAVEPOINT. Sessions keep their objects loaded after a commit
(``expire_on_commit=False``), as SQLAlchemy's asyncio documentation advises.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks.schema import BenchOrder, BenchUser

from .async_base import AsyncContender, async_url, plain_async_engine
from .base import ITEM, NAME, Keys, found, fresh_name

__all__ = ["AsyncOrmContender"]


async def _by_email(session: AsyncSession, key: str) -> BenchUser | None:
    return (await session.scalars(select(BenchUser).where(BenchUser.email == key))).one_or_none()


async def _create_or_first(session: AsyncSession, key: str) -> BenchUser:
    """Insert inside a SAVEPOINT; on a unique violation, read the row that holds the key."""
    user = BenchUser(email=key)
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        return (await session.scalars(select(BenchUser).where(BenchUser.email == key))).one()
    return user


async def _select_then_update(session: AsyncSession, key: str, name: str) -> BenchUser:
    """Read the row by its key; update it, or add it when there is none; flush."""
    user = await _by_email(session, key)
    if user is None:
        user = BenchUser(email=key, name=name)
        session.add(user)
    else:
        user.name = name
    await session.flush()
    return user


async def _first_or_create(session: AsyncSession, key: str) -> BenchUser:
    user = await _by_email(session, key)
    return user if user is not None else await _create_or_first(session, key)


class AsyncOrmContender(AsyncContender):
    """``async with Session.begin() as session: ...`` on :func:`.async_base.plain_async_engine`."""

    name = "sqlalchemy-async-orm"

    def __init__(self, url: str) -> None:
        self.engine = plain_async_engine(async_url(url))
        self.Session = async_sessionmaker(self.engine, expire_on_commit=False)
        super().__init__()

    async def _lookup(self, keys: Keys) -> None:
        async with self.Session.begin() as session:
            for key in keys:
                found(await _by_email(session, key), key)

    async def _create(self, keys: Keys) -> None:
        async with self.Session.begin() as session:
            for key in keys:
                session.add(BenchUser(email=key, name=NAME))
                await session.flush()

    async def _first_or_create(self, keys: Keys) -> None:
        async with self.Session.begin() as session:
            for key in keys:
                found(await _first_or_create(session, key), key)

    async def _create_or_first(self, keys: Keys) -> None:
        async with self.Session.begin() as session:
            for key in keys:
                found(await _create_or_first(session, key), key)

    async def _upsert(self, keys: Keys) -> None:
        async with self.Session.begin() as session:
            for key in keys:
                found(await _select_then_update(session, key, fresh_name()), key)

    async def _web_request(self, keys: Keys) -> None:
        for key in keys:
            async with self.Session.begin() as session:
                user = await _first_or_create(session, key)
                session.add(BenchOrder(user_id=user.id, item=ITEM))
