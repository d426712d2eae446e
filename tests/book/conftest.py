"""The allocation services' units: the shipped fakes, then a real unit on each database and async driver."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import pytest

from datalayer import Database
from datalayer.asyncio import AsyncDatabase
from datalayer.testing import clean_tables
from datalayer.testing.fakes import (
    FakeAsyncRepository,
    FakeAsyncUnitOfWork,
    FakeDatabase,
    FakeRepository,
    FakeUnitOfWork,
)
from tests.book.async_unit_of_work import AsyncAllocationUnit, AsyncAllocationUnitOfWork
from tests.book.model import Product
from tests.book.orm import start_mappers
from tests.book.unit_of_work import AllocationUnit, AllocationUnitOfWork
from tests.conftest import ASYNC_BACKENDS, BACKENDS, Env, async_driver_url, backend_url

NewUnit = Callable[[], AllocationUnit]
NewAsyncUnit = Callable[[], AsyncAllocationUnit]
DATABASES = [name for name in BACKENDS if "/" not in name]  # create_or_first's strategies do not matter here


class FakeProducts(FakeRepository[Product]):
    """The products repository in memory, with the book's lookups written in Python."""

    def get_by_batchref(self, reference: str) -> Product | None:
        return next((p for p in self.all() if any(b.reference == reference for b in p.batches)), None)


class FakeAsyncProducts(FakeAsyncRepository[Product]):
    """The async products repository in memory: the same lookups, awaitable."""

    async def get_by_sku(self, sku: str) -> Product | None:
        return await self.get(sku)

    async def get_by_batchref(self, reference: str) -> Product | None:
        return next((p for p in await self.all() if any(b.reference == reference for b in p.batches)), None)


@dataclass
class Mapped:
    """The domain mapped on ``db``: the fakes' (``name == "fake"``, never connected) or a real one."""

    name: str
    db: Database


@pytest.fixture(scope="module", params=["fake", *DATABASES])
def book_db(
    request: pytest.FixtureRequest, _env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Mapped]:
    """The domain mapped on a Database of its own; a class has one mapping at a time, undone after."""
    yield from _mapped(str(request.param), tmp_path_factory)


@pytest.fixture(scope="module", params=["fake", *ASYNC_BACKENDS])
def async_book_db(
    request: pytest.FixtureRequest, _env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Mapped]:
    """``book_db`` for the async services, named ``<backend>+<async driver>``: the backend's Database."""
    variant = str(request.param)
    for mapped in _mapped(variant.partition("+")[0], tmp_path_factory):
        yield Mapped(variant, mapped.db)


def _mapped(name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mapped]:
    db = Database("sqlite://" if name == "fake" else backend_url(name, tmp_path_factory))
    start_mappers(db)
    try:
        if name != "fake":
            db.drop_all()
            db.create_all()
        yield Mapped(name, db)
        if name != "fake":
            db.drop_all()
    finally:
        db.registry.dispose()
        db.dispose()


@pytest.fixture
def new_unit(book_db: Mapped) -> Iterator[NewUnit]:
    """A fresh unit of work on the test's data at each call (the fake units share one FakeDatabase)."""
    if book_db.name == "fake":
        database = FakeDatabase()
        yield lambda: FakeUnitOfWork(database, products=FakeProducts)
        return
    yield lambda: AllocationUnitOfWork(book_db.db)
    clean_tables(book_db.db)


@pytest.fixture
async def new_async_unit(async_book_db: Mapped) -> AsyncIterator[NewAsyncUnit]:
    """``new_unit`` for the async services: the async fake, or AsyncUnitOfWork on the variant's driver."""
    if async_book_db.name == "fake":
        database = FakeDatabase()
        yield lambda: FakeAsyncUnitOfWork(database, products=FakeAsyncProducts)
        return
    url = async_book_db.db.url.render_as_string(hide_password=False)
    adb = AsyncDatabase(
        async_driver_url(url, async_book_db.name.partition("+")[2]), model_class=async_book_db.db.Model
    )
    try:
        yield lambda: AsyncAllocationUnitOfWork(adb)
    finally:
        await adb.dispose()
        clean_tables(async_book_db.db)
