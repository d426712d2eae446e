"""The allocation unit of work on asyncio, and what the async services need of any unit (real or fake).

An async repository hands out the aggregate whole: a lazy load outside the
greenlet bridge cannot run, so the product's batches and their allocations are
loaded with the product.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from datalayer.asyncio import AsyncUnitOfWork
from repositories import AsyncRepository
from tests.book.model import Batch, Product


def whole() -> ExecutableOption:
    """Load a product's batches and their allocations with it (the classes are mapped by then)."""
    return selectinload(Product.batches).selectinload(Batch._allocations)  # type: ignore[attr-defined]


class AsyncProductLookup(Protocol):
    async def get_by_sku(self, sku: str) -> Product | None: ...
    async def get_by_batchref(self, reference: str) -> Product | None: ...
    async def add(self, obj: Product) -> Product: ...


class AsyncAllocationUnit(Protocol):
    """What the async services need: a ``products`` repository, an ``async with`` block, ``commit()``."""

    @property
    def products(self) -> AsyncProductLookup: ...
    async def commit(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class AsyncProducts(AsyncRepository[Product]):
    """The products, each loaded with its batches and their allocations."""

    async def get_by_sku(self, sku: str) -> Product | None:
        query = self.select().where(Product.sku == sku).options(whole())  # type: ignore[arg-type]
        return next(iter(await self.scalars(query)), None)

    async def get_by_batchref(self, reference: str) -> Product | None:
        """The product holding the batch ``reference``."""
        query = (
            self.select()
            .join(Product.batches)  # type: ignore[attr-defined]
            .where(Batch.reference == reference)  # type: ignore[arg-type]
            .options(whole())
        )
        return next(iter(await self.scalars(query)), None)


class AsyncAllocationUnitOfWork(AsyncUnitOfWork):
    products: AsyncProducts
