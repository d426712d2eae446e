"""advanced-alchemy on asyncio: its async repositories, with their default settings, on plain sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks.schema import BenchOrder, BenchUser

from .async_base import AsyncContender, async_url, plain_async_engine
from .base import ITEM, NAME, Keys, found, fresh_name

__all__ = ["AdvancedAlchemyAsyncContender"]


class AdvancedAlchemyAsyncContender(AsyncContender):
    """``SQLAlchemyAsyncRepository`` per model, built on each session (defaults: refresh after add).

    As in :mod:`.advanced`: get-or-create is ``get_or_upsert(match_fields=["email"], upsert=False)``,
    a read then an insert on a miss, with no savepoint, and stands in for create_or_first too.
    """

    name = "advanced-alchemy-async"

    def __init__(self, url: str) -> None:
        from advanced_alchemy.repository import SQLAlchemyAsyncRepository

        def repository(model: type[Any]) -> Any:
            return type(f"{model.__name__}Repository", (SQLAlchemyAsyncRepository,), {"model_type": model})

        self.users, self.orders = repository(BenchUser), repository(BenchOrder)
        self.engine = plain_async_engine(async_url(url))
        self.Session = async_sessionmaker(self.engine, expire_on_commit=False)
        super().__init__()

    async def _get_or_create(self, session: AsyncSession, key: str) -> Any:
        user, _created = await self.users(session=session).get_or_upsert(
            match_fields=["email"], upsert=False, email=key
        )
        return user

    async def _lookup(self, keys: Keys) -> None:
        async with self.Session.begin() as session:
            users = self.users(session=session)
            for key in keys:
                found(await users.get_one_or_none(email=key), key)

    async def _create(self, keys: Keys) -> None:
        async with self.Session.begin() as session:
            users = self.users(session=session)
            for key in keys:
                await users.add(BenchUser(email=key, name=NAME))

    async def _first_or_create(self, keys: Keys) -> None:
        async with self.Session.begin() as session:
            for key in keys:
                found(await self._get_or_create(session, key), key)

    _create_or_first = _first_or_create

    async def _upsert(self, keys: Keys) -> None:
        async with self.Session.begin() as session:
            users = self.users(session=session)
            for key in keys:
                found(
                    await users.upsert(BenchUser(email=key, name=fresh_name()), match_fields=["email"]), key
                )

    async def _web_request(self, keys: Keys) -> None:
        for key in keys:
            async with self.Session.begin() as session:
                user = await self._get_or_create(session, key)
                await self.orders(session=session).add(BenchOrder(user_id=user.id, item=ITEM))
