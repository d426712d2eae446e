"""The book's services on asyncio, run unchanged on the async fake and on AsyncUnitOfWork per async driver.

Each service call gets a fresh unit, as each call is one transaction; what a test
reads back, it reads in a unit of its own, as the next request would.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.book import async_services as services
from tests.book.conftest import NewAsyncUnit
from tests.book.model import OutOfStock
from tests.book.services import InvalidSku

TOMORROW = date.today() + timedelta(days=1)


async def test_add_batch_for_new_product(new_async_unit: NewAsyncUnit) -> None:
    await services.add_batch("b1", "CRUNCHY-ARMCHAIR", 100, None, new_async_unit())
    async with new_async_unit() as uow:
        assert await uow.products.get_by_sku("CRUNCHY-ARMCHAIR") is not None


async def test_add_batch_for_existing_product(new_async_unit: NewAsyncUnit) -> None:
    await services.add_batch("b1", "GARISH-RUG", 100, None, new_async_unit())
    await services.add_batch("b2", "GARISH-RUG", 99, None, new_async_unit())
    async with new_async_unit() as uow:
        product = await uow.products.get_by_sku("GARISH-RUG")
        assert product is not None
        assert sorted(b.reference for b in product.batches) == ["b1", "b2"]


async def test_allocate_returns_allocation(new_async_unit: NewAsyncUnit) -> None:
    await services.add_batch("batch1", "COMPLICATED-LAMP", 100, None, new_async_unit())
    assert await services.allocate("o1", "COMPLICATED-LAMP", 10, new_async_unit()) == "batch1"


async def test_allocate_errors_for_invalid_sku(new_async_unit: NewAsyncUnit) -> None:
    await services.add_batch("b1", "AREALSKU", 100, None, new_async_unit())
    with pytest.raises(InvalidSku, match="Invalid sku NONEXISTENTSKU"):
        await services.allocate("o1", "NONEXISTENTSKU", 10, new_async_unit())


async def test_allocate_commits(new_async_unit: NewAsyncUnit) -> None:
    await services.add_batch("b1", "OMINOUS-MIRROR", 100, None, new_async_unit())
    await services.allocate("o1", "OMINOUS-MIRROR", 10, new_async_unit())
    async with new_async_unit() as uow:
        product = await uow.products.get_by_sku("OMINOUS-MIRROR")
        assert product is not None and product.version_number == 1
        [batch] = product.batches
        assert batch.available_quantity == 90


async def test_allocate_prefers_warehouse_batches_to_shipments(new_async_unit: NewAsyncUnit) -> None:
    await services.add_batch("shipment-batch", "RETRO-CLOCK", 100, TOMORROW, new_async_unit())
    await services.add_batch("in-stock-batch", "RETRO-CLOCK", 100, None, new_async_unit())
    assert await services.allocate("oref", "RETRO-CLOCK", 10, new_async_unit()) == "in-stock-batch"
    async with new_async_unit() as uow:
        product = await uow.products.get_by_sku("RETRO-CLOCK")
        assert product is not None
        available = {b.reference: b.available_quantity for b in product.batches}
        assert available == {"in-stock-batch": 90, "shipment-batch": 100}


async def test_allocate_raises_out_of_stock_and_commits_nothing_when_no_batch_can_take_the_line(
    new_async_unit: NewAsyncUnit,
) -> None:
    await services.add_batch("b1", "SMALL-FORK", 10, None, new_async_unit())
    await services.allocate("o1", "SMALL-FORK", 10, new_async_unit())
    with pytest.raises(OutOfStock, match="Out of stock for sku SMALL-FORK"):
        await services.allocate("o2", "SMALL-FORK", 1, new_async_unit())
    async with new_async_unit() as uow:
        product = await uow.products.get_by_sku("SMALL-FORK")
        assert product is not None and product.version_number == 1


async def test_change_batch_quantity_reallocates_the_lines_the_batch_no_longer_covers(
    new_async_unit: NewAsyncUnit,
) -> None:
    await services.add_batch("in-stock", "INDIFFERENT-TABLE", 50, None, new_async_unit())
    await services.add_batch("shipment", "INDIFFERENT-TABLE", 50, TOMORROW, new_async_unit())
    for orderid in ("o1", "o2"):
        assert await services.allocate(orderid, "INDIFFERENT-TABLE", 20, new_async_unit()) == "in-stock"
    await services.change_batch_quantity("in-stock", 25, new_async_unit())
    async with new_async_unit() as uow:
        product = await uow.products.get_by_batchref("shipment")
        assert product is not None and product.sku == "INDIFFERENT-TABLE"
        available = {b.reference: b.available_quantity for b in product.batches}
        assert available == {"in-stock": 5, "shipment": 30}
