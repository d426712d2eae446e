"""The book's race: two allocations from one product at once; its version counter lets one win.

As *Architecture Patterns with Python* writes it (chapter 7): each thread allocates
an order line inside its own unit and pauses before committing, so both read the
same ``version_number``. With the counter mapped as SQLAlchemy's ``version_id_col``
the loser's UPDATE matches no row, at the default READ COMMITTED: it fails with a
retryable error (``ConcurrentUpdateError``; SQLite may stop it first with
``LockTimeoutError``), and exactly one allocation is committed. Through ``run()``
the loser is retried on a fresh read, and both allocations land.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import text

from datalayer import run
from datalayer.errors import RetryableError
from tests.book import services
from tests.book.conftest import Mapped, NewUnit
from tests.book.model import OrderLine
from tests.book.unit_of_work import AllocationUnitOfWork


@pytest.fixture
def product(book_db: Mapped, new_unit: NewUnit) -> Mapped:
    if book_db.name == "fake":
        pytest.skip("a race between transactions needs a database")
    services.add_batch("batch1", "LAMP", 100, None, new_unit())  # the tables are emptied after the test
    return book_db


def try_to_allocate(
    db: Mapped, orderid: str, exceptions: list[BaseException], both_read: threading.Barrier
) -> None:
    try:
        with AllocationUnitOfWork(db.db) as uow:
            product = uow.products.get(sku="LAMP")
            assert product is not None
            product.allocate(OrderLine(orderid, "LAMP", 10))
            both_read.wait(timeout=10)  # the book sleeps 0.2 s here; a barrier makes sure both have read
            uow.commit()
    except Exception as error:
        exceptions.append(error)


def in_threads(*targets: Callable[[], None]) -> None:
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def allocated_orders(db: Mapped) -> tuple[int, list[str]]:
    with db.db.engine.connect() as connection:
        version = connection.execute(
            text("SELECT version_number FROM book_products WHERE sku = 'LAMP'")
        ).scalar_one()
        orders = connection.execute(
            text(
                "SELECT orderid FROM book_allocations JOIN book_order_lines "
                "ON book_order_lines.id = book_allocations.orderline_id ORDER BY orderid"
            )
        ).scalars()
        return int(version), [str(order) for order in orders]


def test_concurrent_updates_to_version_are_not_allowed(product: Mapped) -> None:
    exceptions: list[BaseException] = []
    both_read = threading.Barrier(2)
    in_threads(
        lambda: try_to_allocate(product, "order1", exceptions, both_read),
        lambda: try_to_allocate(product, "order2", exceptions, both_read),
    )
    [exception] = exceptions
    assert isinstance(exception, RetryableError), repr(exception)
    version, orders = allocated_orders(product)
    assert version == 1  # a new product starts at 0: one allocation counted, not two
    assert len(orders) == 1


def test_run_retries_the_loser_and_both_allocations_land(product: Mapped) -> None:
    both_read = threading.Barrier(2)

    def allocate(orderid: str) -> None:
        attempts: list[int] = []

        def work(uow: AllocationUnitOfWork) -> str:
            attempts.append(1)
            with uow:
                found = uow.products.get(sku="LAMP")
                assert found is not None
                if len(attempts) == 1:
                    both_read.wait(timeout=10)  # the first attempts race; a retry reads afresh
                reference = found.allocate(OrderLine(orderid, "LAMP", 10))
                uow.commit()
                return reference

        run(lambda: AllocationUnitOfWork(product.db), work, backoff=0)

    in_threads(lambda: allocate("order1"), lambda: allocate("order2"))
    assert allocated_orders(product) == (2, ["order1", "order2"])
