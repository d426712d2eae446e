"""The allocation services' units: the shipped fakes, then a real unit on each database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from datalayer import Database
from datalayer.testing import clean_tables
from datalayer.testing.fakes import FakeDatabase, FakeRepository, FakeUnitOfWork
from tests.book.model import Product
from tests.book.orm import start_mappers
from tests.book.unit_of_work import AllocationUnit, AllocationUnitOfWork
from tests.conftest import BACKENDS, Env, backend_url

NewUnit = Callable[[], AllocationUnit]
DATABASES = [name for name in BACKENDS if "/" not in name]  # create_or_first's strategies do not matter here


class FakeProducts(FakeRepository[Product]):
    """The products repository in memory, with the book's lookups written in Python."""

    def get_by_batchref(self, reference: str) -> Product | None:
        return next((p for p in self.all() if any(b.reference == reference for b in p.batches)), None)


@dataclass
class Mapped:
    """The domain mapped on ``db``: the fakes' (``name == "fake"``, never connected) or a real one."""

    name: str
    db: Database


@pytest.fixture(scope="module", params=["fake", *DATABASES])
def book_db(
    request: pytest.FixtureRequest, _env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Mapped]:
    """The domain mapped on a Database of its own; a class has one mapping at a time, undone after."""
    name = str(request.param)
    db = Database("sqlite://" if name == "fake" else backend_url(name, tmp_path_factory))
    start_mappers(db)
    try:
        if name != "fake":
            db.drop_all()
            db.create_all()
        yield Mapped(name, db)
        if name != "fake":
            db.drop_all()
    finally:
        db.registry.dispose()
        db.dispose()


@pytest.fixture
def new_unit(book_db: Mapped) -> Iterator[NewUnit]:
    """A fresh unit of work on the test's data at each call (the fake units share one FakeDatabase)."""
    if book_db.name == "fake":
        database = FakeDatabase()
        yield lambda: FakeUnitOfWork(database, products=FakeProducts)
        return
    yield lambda: AllocationUnitOfWork(book_db.db)
    clean_tables(book_db.db)
