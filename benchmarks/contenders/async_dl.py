"""datalayer on asyncio: its session helpers (``adb.Session()``) and its unit of work with repositories.

The async twins of :mod:`.dl_session` and :mod:`.dl_repo`, on an ``AsyncDatabase`` of their own.
Importing this module needs greenlet (``datalayer.asyncio`` says so): without it both are n/a.
"""

from __future__ import annotations

from benchmarks.schema import BenchBase, BenchOrder, BenchUser
from datalayer.asyncio import AsyncDatabase, AsyncUnitOfWork
from repositories import AsyncRepository

from .async_base import AsyncContender, async_url
from .base import ITEM, NAME, Keys, found, fresh_name

__all__ = ["AsyncBenchUnit", "DatalayerAsyncRepositories", "DatalayerAsyncSession"]


class AsyncBenchUnit(AsyncUnitOfWork):
    """The benchmark's async unit of work: the repositories the per-operation workloads use."""

    users: AsyncRepository[BenchUser]
    orders: AsyncRepository[BenchOrder]


class _DatalayerAsync(AsyncContender):
    def __init__(self, url: str) -> None:
        self.adb = AsyncDatabase(async_url(url), model_class=BenchBase)
        self.engine = self.adb.engine
        super().__init__()


class DatalayerAsyncSession(_DatalayerAsync):
    """``async with adb.Session() as s: await s.first_or_create(...); await s.commit()``."""

    name = "datalayer-async-session"

    async def _lookup(self, keys: Keys) -> None:
        async with self.adb.Session() as dbs:
            for key in keys:
                found(await dbs.first(BenchUser, email=key), key)
            await dbs.commit()

    async def _create(self, keys: Keys) -> None:
        async with self.adb.Session() as dbs:
            for key in keys:
                await dbs.create(BenchUser, email=key, name=NAME)
            await dbs.commit()

    async def _first_or_create(self, keys: Keys) -> None:
        async with self.adb.Session() as dbs:
            for key in keys:
                found(await dbs.first_or_create(BenchUser, email=key), key)
            await dbs.commit()

    async def _create_or_first(self, keys: Keys) -> None:
        async with self.adb.Session() as dbs:
            for key in keys:
                found(await dbs.create_or_first(BenchUser, email=key), key)
            await dbs.commit()

    async def _upsert(self, keys: Keys) -> None:
        async with self.adb.Session() as dbs:
            for key in keys:
                found(await dbs.upsert(BenchUser, match=("email",), email=key, name=fresh_name()), key)
            await dbs.commit()

    async def _web_request(self, keys: Keys) -> None:
        for key in keys:
            async with self.adb.Session() as dbs:
                user = await dbs.first_or_create(BenchUser, email=key)
                await dbs.create(BenchOrder, user_id=user.id, item=ITEM)
                await dbs.commit()


class DatalayerAsyncRepositories(_DatalayerAsync):
    """``async with AsyncBenchUnit(adb) as uow: await uow.users.first_or_create(...)`` (commits on exit)."""

    name = "datalayer-async-repo"

    async def _lookup(self, keys: Keys) -> None:
        async with AsyncBenchUnit(self.adb) as uow:
            for key in keys:
                found(await uow.users.first(email=key), key)

    async def _create(self, keys: Keys) -> None:
        async with AsyncBenchUnit(self.adb) as uow:
            for key in keys:
                await uow.users.create(email=key, name=NAME)

    async def _first_or_create(self, keys: Keys) -> None:
        async with AsyncBenchUnit(self.adb) as uow:
            for key in keys:
                found(await uow.users.first_or_create(email=key), key)

    async def _create_or_first(self, keys: Keys) -> None:
        async with AsyncBenchUnit(self.adb) as uow:
            for key in keys:
                found(await uow.users.create_or_first(email=key), key)

    async def _upsert(self, keys: Keys) -> None:
        async with AsyncBenchUnit(self.adb) as uow:
            for key in keys:
                found(await uow.users.upsert(match=("email",), email=key, name=fresh_name()), key)

    async def _web_request(self, keys: Keys) -> None:
        for key in keys:
            async with AsyncBenchUnit(self.adb) as uow:
                user = await uow.users.first_or_create(email=key)
                await uow.orders.create(user_id=user.id, item=ITEM)
