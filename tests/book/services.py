"""The allocation services: each takes a unit of work, opens it and commits it."""

from __future__ import annotations

from datetime import date

from tests.book.model import Batch, OrderLine, Product
from tests.book.unit_of_work import AllocationUnit


class InvalidSku(Exception):
    """No product has this sku."""


def add_batch(reference: str, sku: str, qty: int, eta: date | None, uow: AllocationUnit) -> None:
    with uow:
        product = uow.products.get(sku=sku)
        if product is None:
            product = uow.products.add(Product(sku, batches=[]))
        product.batches.append(Batch(reference, sku, qty, eta))
        uow.commit()


def allocate(orderid: str, sku: str, qty: int, uow: AllocationUnit) -> str:
    line = OrderLine(orderid, sku, qty)
    with uow:
        product = uow.products.get(sku=line.sku)
        if product is None:
            raise InvalidSku(f"Invalid sku {line.sku}")
        reference = product.allocate(line)
        uow.commit()
    return reference


def change_batch_quantity(reference: str, qty: int, uow: AllocationUnit) -> None:
    with uow:
        product = uow.products.get_by_batchref(reference)
        if product is None:
            raise LookupError(f"no batch {reference}")
        product.change_batch_quantity(reference, qty)
        uow.commit()
