"""The allocation unit of work, and what the services need of any unit (the real one or a fake)."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from datalayer import UnitOfWork
from tests.book.model import Product
from tests.book.repository import Products


class ProductLookup(Protocol):
    def get(self, sku: str) -> Product | None: ...
    def get_by_batchref(self, reference: str) -> Product | None: ...
    def add(self, obj: Product) -> Product: ...


class AllocationUnit(Protocol):
    """What the services need: a ``products`` repository, a ``with`` block, ``commit()``."""

    @property
    def products(self) -> ProductLookup: ...
    def commit(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class AllocationUnitOfWork(UnitOfWork):
    products: Products
