"""The book's service tests, run unchanged on the shipped fakes and on a real unit per database.

Each service call gets a fresh unit, as each call is one transaction; what a test
reads back, it reads in a unit of its own, as the next request would.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.book import services
from tests.book.conftest import NewUnit
from tests.book.model import OutOfStock

TOMORROW = date.today() + timedelta(days=1)


def test_add_batch_for_new_product(new_unit: NewUnit) -> None:
    services.add_batch("b1", "CRUNCHY-ARMCHAIR", 100, None, new_unit())
    with new_unit() as uow:
        assert uow.products.get(sku="CRUNCHY-ARMCHAIR") is not None


def test_add_batch_for_existing_product(new_unit: NewUnit) -> None:
    services.add_batch("b1", "GARISH-RUG", 100, None, new_unit())
    services.add_batch("b2", "GARISH-RUG", 99, None, new_unit())
    with new_unit() as uow:
        product = uow.products.get(sku="GARISH-RUG")
        assert product is not None
        assert sorted(b.reference for b in product.batches) == ["b1", "b2"]


def test_allocate_returns_allocation(new_unit: NewUnit) -> None:
    services.add_batch("batch1", "COMPLICATED-LAMP", 100, None, new_unit())
    result = services.allocate("o1", "COMPLICATED-LAMP", 10, new_unit())
    assert result == "batch1"


def test_allocate_errors_for_invalid_sku(new_unit: NewUnit) -> None:
    services.add_batch("b1", "AREALSKU", 100, None, new_unit())
    with pytest.raises(services.InvalidSku, match="Invalid sku NONEXISTENTSKU"):
        services.allocate("o1", "NONEXISTENTSKU", 10, new_unit())


def test_allocate_commits(new_unit: NewUnit) -> None:
    services.add_batch("b1", "OMINOUS-MIRROR", 100, None, new_unit())
    services.allocate("o1", "OMINOUS-MIRROR", 10, new_unit())
    with new_unit() as uow:
        product = uow.products.get(sku="OMINOUS-MIRROR")
        assert product is not None and product.version_number == 1
        [batch] = product.batches
        assert batch.available_quantity == 90


def test_allocate_prefers_warehouse_batches_to_shipments(new_unit: NewUnit) -> None:
    services.add_batch("shipment-batch", "RETRO-CLOCK", 100, TOMORROW, new_unit())
    services.add_batch("in-stock-batch", "RETRO-CLOCK", 100, None, new_unit())
    assert services.allocate("oref", "RETRO-CLOCK", 10, new_unit()) == "in-stock-batch"
    with new_unit() as uow:
        product = uow.products.get(sku="RETRO-CLOCK")
        assert product is not None
        available = {b.reference: b.available_quantity for b in product.batches}
        assert available == {"in-stock-batch": 90, "shipment-batch": 100}


def test_allocate_raises_out_of_stock_and_commits_nothing_when_no_batch_can_take_the_line(
    new_unit: NewUnit,
) -> None:
    services.add_batch("b1", "SMALL-FORK", 10, None, new_unit())
    services.allocate("o1", "SMALL-FORK", 10, new_unit())
    with pytest.raises(OutOfStock, match="Out of stock for sku SMALL-FORK"):
        services.allocate("o2", "SMALL-FORK", 1, new_unit())
    with new_unit() as uow:
        product = uow.products.get(sku="SMALL-FORK")
        assert product is not None and product.version_number == 1


def test_change_batch_quantity_reallocates_the_lines_the_batch_no_longer_covers(new_unit: NewUnit) -> None:
    services.add_batch("in-stock", "INDIFFERENT-TABLE", 50, None, new_unit())
    services.add_batch("shipment", "INDIFFERENT-TABLE", 50, TOMORROW, new_unit())
    for orderid in ("o1", "o2"):
        assert services.allocate(orderid, "INDIFFERENT-TABLE", 20, new_unit()) == "in-stock"
    services.change_batch_quantity("in-stock", 25, new_unit())
    with new_unit() as uow:
        product = uow.products.get_by_batchref("shipment")
        assert product is not None and product.sku == "INDIFFERENT-TABLE"
        available = {b.reference: b.available_quantity for b in product.batches}
        assert available == {"in-stock": 5, "shipment": 30}
