"""The allocation services on asyncio: the sync services' steps, each database step awaited."""

from __future__ import annotations

from datetime import date

from tests.book.async_unit_of_work import AsyncAllocationUnit
from tests.book.model import Batch, OrderLine, Product
from tests.book.services import InvalidSku


async def add_batch(reference: str, sku: str, qty: int, eta: date | None, uow: AsyncAllocationUnit) -> None:
    async with uow:
        product = await uow.products.get_by_sku(sku)
        if product is None:
            product = await uow.products.add(Product(sku, batches=[]))
        product.batches.append(Batch(reference, sku, qty, eta))
        await uow.commit()


async def allocate(orderid: str, sku: str, qty: int, uow: AsyncAllocationUnit) -> str:
    line = OrderLine(orderid, sku, qty)
    async with uow:
        product = await uow.products.get_by_sku(line.sku)
        if product is None:
            raise InvalidSku(f"Invalid sku {line.sku}")
        reference = product.allocate(line)
        await uow.commit()
    return reference


async def change_batch_quantity(reference: str, qty: int, uow: AsyncAllocationUnit) -> None:
    async with uow:
        product = await uow.products.get_by_batchref(reference)
        if product is None:
            raise LookupError(f"no batch {reference}")
        product.change_batch_quantity(reference, qty)
        await uow.commit()
