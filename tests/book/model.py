"""The allocation domain of *Architecture Patterns with Python*, chapter 7, as attrs classes.

A :class:`Product` is the aggregate: the one way in to its batches. Nothing here
knows SQLAlchemy; :mod:`tests.book.orm` maps these classes onto tables.
"""

from __future__ import annotations

import contextlib
from datetime import date

import attrs


class OutOfStock(Exception):
    """No batch of the product can take the order line."""


@attrs.define(slots=False, unsafe_hash=True)
class OrderLine:
    """A value object: two lines with the same order, sku and quantity are the same line.

    Its table's surrogate key is not declared here, so it never enters ``==`` or
    ``hash()``: a line stays in its batch's set when the database gives it an id.
    """

    orderid: str
    sku: str
    qty: int


@attrs.define(slots=False, unsafe_hash=True)
class Batch:
    """Stock of one sku, arriving on ``eta`` (None: already in the warehouse); equal by reference."""

    reference: str
    sku: str = attrs.field(eq=False)
    _purchased_quantity: int = attrs.field(eq=False)
    eta: date | None = attrs.field(default=None, eq=False)
    _allocations: set[OrderLine] = attrs.field(init=False, factory=set, eq=False)

    @property
    def allocations(self) -> frozenset[OrderLine]:
        """The lines allocated to this batch."""
        return frozenset(self._allocations)

    @property
    def allocated_quantity(self) -> int:
        return sum(line.qty for line in self._allocations)

    @property
    def available_quantity(self) -> int:
        return self._purchased_quantity - self.allocated_quantity

    def can_allocate(self, line: OrderLine) -> bool:
        return self.sku == line.sku and self.available_quantity >= line.qty

    def allocate(self, line: OrderLine) -> None:
        if self.can_allocate(line):
            self._allocations.add(line)

    def change_purchased_quantity(self, qty: int) -> list[OrderLine]:
        """Set the quantity bought; give back the lines it no longer covers, largest first."""
        self._purchased_quantity = qty
        released: list[OrderLine] = []
        for line in sorted(self._allocations, key=lambda line: (-line.qty, line.orderid)):
            if self.available_quantity >= 0:
                break
            self._allocations.remove(line)
            released.append(line)
        return released


def _arrival(batch: Batch) -> tuple[bool, date]:
    """Warehouse stock first, then shipments by their eta."""
    return (batch.eta is not None, batch.eta or date.min)


@attrs.define(slots=False, eq=False)
class Product:
    """The aggregate of one sku's batches; ``version_number`` counts its changes."""

    sku: str
    batches: list[Batch] = attrs.Factory(list)
    version_number: int = 0

    def allocate(self, line: OrderLine) -> str:
        """Allocate ``line`` to the earliest batch that can take it; its reference, or OutOfStock."""
        batch = next((b for b in sorted(self.batches, key=_arrival) if b.can_allocate(line)), None)
        if batch is None:
            raise OutOfStock(f"Out of stock for sku {line.sku}")
        batch.allocate(line)
        self.version_number += 1
        return batch.reference

    def change_batch_quantity(self, reference: str, qty: int) -> None:
        """Change a batch's quantity; lines it no longer covers go to another batch that can take them."""
        batch = next(b for b in self.batches if b.reference == reference)
        released = batch.change_purchased_quantity(qty)
        self.version_number += 1
        for line in released:
            with contextlib.suppress(OutOfStock):  # then the line stays unallocated
                self.allocate(line)
