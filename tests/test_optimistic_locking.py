"""Optimistic locking: a version counter turns a lost update into a retryable ConcurrentUpdateError.

Two units read the same row, both change it and commit. Without a version column
the second commit silently overwrites the first (READ COMMITTED's lost update); with
SQLAlchemy's ``version_id_col`` the loser's UPDATE matches no row and the unit fails
with ConcurrentUpdateError, which ``run()`` retries on a fresh read.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from datalayer import Database, UnitOfWork, run
from datalayer.errors import ConcurrentUpdateError, RetryableError
from tests.conftest import Env


@pytest.fixture
def stock(env: Env) -> Iterator[tuple[Database, type[Any]]]:
    """A product whose stock is decremented by read-modify-write, with a version counter."""
    db = Database(env.url, **env.engine_options)

    class Stock(db.Model):
        __tablename__ = "t_stock"
        sku: Mapped[str] = mapped_column(String(20), primary_key=True)
        available: Mapped[int] = mapped_column(Integer)
        version_number: Mapped[int] = mapped_column(Integer)
        __mapper_args__ = {"version_id_col": version_number}  # noqa: RUF012

    db.metadata.drop_all(db.engine)
    db.metadata.create_all(db.engine)
    with UnitOfWork(db) as uow:
        uow.session.create(Stock, sku="LAMP", available=100)
    yield db, Stock
    db.metadata.drop_all(db.engine)
    db.dispose()


def take(db: Database, stock: type[Any], quantity: int, both_read: threading.Barrier) -> None:
    """Read the stock, wait until the other unit has read it too, then take from it and commit."""
    with UnitOfWork(db) as uow:
        item = uow.session.get(stock, "LAMP")
        both_read.wait(timeout=10)
        item.available -= quantity


def test_the_loser_of_a_race_on_a_versioned_row_fails_with_a_retryable_error(
    stock: tuple[Database, type[Any]],
) -> None:
    db, Stock = stock
    both_read = threading.Barrier(2)
    failures: list[BaseException] = []

    def attempt(quantity: int) -> None:
        try:
            take(db, Stock, quantity, both_read)
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=attempt, args=(quantity,)) for quantity in (10, 20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [failure] = failures  # one commits, one loses
    assert isinstance(failure, RetryableError), repr(failure)
    with db.Session() as dbs:
        item = dbs.get(Stock, "LAMP")
        assert item is not None
        assert (item.available, item.version_number) in {(90, 2), (80, 2)}  # exactly one update, none lost


def test_run_retries_the_loser_on_a_fresh_read_and_no_update_is_lost(
    stock: tuple[Database, type[Any]],
) -> None:
    db, Stock = stock
    both_read = threading.Barrier(2)
    retried: list[str] = []

    def work(quantity: int) -> None:
        attempts: list[int] = []

        def unit(uow: UnitOfWork) -> None:
            attempts.append(1)
            item = uow.session.get(Stock, "LAMP")
            if len(attempts) == 1:  # the first attempts race each other; a retry reads afresh
                both_read.wait(timeout=10)
            item.available -= quantity

        run(
            lambda: UnitOfWork(db),
            unit,
            backoff=0,
            on_retry=lambda _attempt, error, _delay: retried.append(type(error).__name__),
        )

    threads = [threading.Thread(target=work, args=(quantity,)) for quantity in (10, 20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with db.Session() as dbs:
        item = dbs.get(Stock, "LAMP")
        assert item is not None
        assert (item.available, item.version_number) == (70, 3)
    assert len(retried) >= 1


def test_a_version_conflict_leaves_a_unit_as_concurrent_update_error(
    stock: tuple[Database, type[Any]],
) -> None:
    db, Stock = stock
    with db.Session(expire_on_commit=False) as dbs:  # read, keeping the version it saw
        item = dbs.get(Stock, "LAMP")
        dbs.commit()
        dbs.expunge(item)
    with UnitOfWork(db) as other:  # another unit updates and commits in between
        other.session.get(Stock, "LAMP").available = 1
    with pytest.raises(ConcurrentUpdateError, match="changed the row first") as raised, UnitOfWork(db) as uow:
        uow.session.add(item)
        item.available = 2
    assert isinstance(raised.value, RetryableError)
    with db.Session() as dbs:
        assert dbs.get(Stock, "LAMP").available == 1
