"""The Product aggregate through a unit of work: on the fakes and on a real unit per database."""

from __future__ import annotations

import pytest

from tests.book.conftest import NewUnit
from tests.book.model import Batch, OrderLine, Product


class Boom(Exception):
    """An error of the code under test."""


def test_an_order_line_stays_in_its_batchs_set_when_a_flush_gives_it_an_id(new_unit: NewUnit) -> None:
    line = OrderLine("o1", "SMALL-TABLE", 10)
    with new_unit() as uow:
        batch = Batch("b1", "SMALL-TABLE", 20)
        uow.products.add(Product("SMALL-TABLE", batches=[batch]))
        batch.allocate(line)
        assert uow.products.get(sku="SMALL-TABLE") is not None  # a read flushes
        assert line.id is not None  # type: ignore[attr-defined]  # the table's key, not the class's
        assert line in batch.allocations and batch.available_quantity == 10
    with new_unit() as uow:
        product = uow.products.get(sku="SMALL-TABLE")
        assert product is not None
        [batch] = product.batches
        assert batch.allocations == {OrderLine("o1", "SMALL-TABLE", 10)}


def test_a_product_built_whole_in_one_unit_is_read_whole_in_the_next(new_unit: NewUnit) -> None:
    with new_unit() as uow:
        product = Product("LAMP", batches=[Batch("b1", "LAMP", 10), Batch("b2", "LAMP", 10)])
        product.allocate(OrderLine("o1", "LAMP", 4))
        product.allocate(OrderLine("o2", "LAMP", 8))
        uow.products.add(product)
    with new_unit() as uow:
        product = uow.products.get(sku="LAMP")
        assert product is not None and product.version_number == 2
        allocated = {b.reference: sorted(line.orderid for line in b.allocations) for b in product.batches}
        assert allocated == {"b1": ["o1"], "b2": ["o2"]}


def test_rolling_back_undoes_an_allocation(new_unit: NewUnit) -> None:
    with new_unit() as uow:
        uow.products.add(Product("MUG", batches=[Batch("b1", "MUG", 10)]))
    with pytest.raises(Boom), new_unit() as uow:
        product = uow.products.get(sku="MUG")
        assert product is not None
        product.allocate(OrderLine("o1", "MUG", 3))
        raise Boom
    with new_unit() as uow:
        product = uow.products.get(sku="MUG")
        assert product is not None and product.version_number == 0
        assert [b.available_quantity for b in product.batches] == [10]


def test_equal_order_lines_in_two_batches_are_two_rows(new_unit: NewUnit) -> None:
    with new_unit() as uow:
        first, second = Batch("b1", "FORK", 5), Batch("b2", "FORK", 5)
        first.allocate(OrderLine("o1", "FORK", 5))
        second.allocate(OrderLine("o1", "FORK", 5))
        uow.products.add(Product("FORK", batches=[first, second]))
    with new_unit() as uow:
        product = uow.products.get(sku="FORK")
        assert product is not None
        assert [b.available_quantity for b in product.batches] == [0, 0]
        product.batches[0].change_purchased_quantity(0)
    with new_unit() as uow:
        product = uow.products.get(sku="FORK")
        assert product is not None
        assert sorted(b.available_quantity for b in product.batches) == [0, 0]
        assert sorted(len(b.allocations) for b in product.batches) == [0, 1]
