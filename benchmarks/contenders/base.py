"""What a contender is: one way of doing each workload's operation, or an explicit "not available"."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import Connection

__all__ = [
    "ITEM",
    "NAME",
    "STREAM_BATCH",
    "Contender",
    "Ids",
    "Keys",
    "NotAvailable",
    "Rows",
    "check_page",
    "consume",
    "consume_tuples",
    "found",
    "found_id",
    "fresh_name",
    "plain_engine",
]

Keys = Sequence[str]
Ids = Sequence[int]
Rows = Sequence[dict[str, Any]]

NAME = "Bench User"
ITEM = "widget"
_NAMES = itertools.count()
STREAM_BATCH = 1000
"""Rows fetched per round trip when streaming (SQLAlchemy's ``yield_per``, the driver's fetch size)."""


class NotAvailable(Exception):
    """The contender has no equivalent of the operation; the message says why."""


class Contender:
    """Each method runs one measured unit of a workload; the defaults say "not available".

    ``lookup``, ``create``, ``first_or_create``, ``create_or_first`` and ``upsert``
    run one operation per key inside one transaction, flushing per operation and
    committing at the end; ``web_request`` runs one transaction per key.
    """

    name: ClassVar[str]

    def engines(self) -> list[Engine]:
        """The engines whose statements are counted (raw DBAPI contenders count their own)."""
        return []

    def statements_sent(self) -> int:
        """Statements sent so far, for contenders that bypass SQLAlchemy's engine events."""
        return 0

    def close(self) -> None:
        for engine in self.engines():
            engine.dispose()

    def lookup(self, keys: Keys) -> None:
        raise NotAvailable("no lookup by a unique column")

    def get(self, ids: Ids) -> None:
        raise NotAvailable("no lookup by primary key")

    def create(self, keys: Keys) -> None:
        raise NotAvailable("no single-row create")

    def first_or_create(self, keys: Keys) -> None:
        raise NotAvailable("no get-or-create")

    def create_or_first(self, keys: Keys) -> None:
        raise NotAvailable("no create-or-get")

    def upsert(self, keys: Keys) -> None:
        raise NotAvailable("no upsert")

    def web_request(self, keys: Keys) -> None:
        raise NotAvailable("no unit of work")

    def bulk_create(self, rows: Rows) -> None:
        raise NotAvailable("no bulk create")

    def iterate(self, stream: bool) -> int:
        """Read every item (as a list, or streamed); return the number of rows seen."""
        raise NotAvailable("no streaming" if stream else "no list of all rows")

    def page_offset(self, offset: int, size: int) -> int:
        """Fetch ``size`` items after skipping ``offset``; return the last id."""
        raise NotAvailable("no offset pagination")

    def page_keyset(self, after: int | None, size: int) -> int:
        """Fetch ``size`` items with ids above ``after``; return the last id."""
        raise NotAvailable("no keyset pagination")


def plain_engine(url: str) -> Engine:
    """The engine a careful engineer sets up for savepoint-based get-or-create.

    SQLite: the stdlib driver's own transaction handling off, BEGIN emitted by
    SQLAlchemy (the recipe in SQLAlchemy's SQLite documentation) so SAVEPOINTs are
    real, and foreign keys on. MariaDB: READ COMMITTED, so the re-read after a
    conflict sees the winner's row. The same set-up as datalayer's ``Database``.
    """
    options: dict[str, Any] = {}
    if make_url(url).get_backend_name() in ("mysql", "mariadb"):
        options["isolation_level"] = "READ COMMITTED"
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA foreign_keys = ON")

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine


def fresh_name() -> str:
    """A name no row holds yet: an upsert must really update (an ORM flush skips an unchanged value)."""
    return f"Upserted {next(_NAMES)}"


def found(obj: object, key: str) -> None:
    """Fail loudly if a lookup missed (so no contender is timed doing less work)."""
    if obj is None or getattr(obj, "email", key) != key:
        raise AssertionError(f"lookup of {key!r} returned {obj!r}")


def found_id(obj: object, ident: int) -> None:
    """Fail loudly if a lookup by primary key missed."""
    if obj is None or getattr(obj, "id", None) != ident:
        raise AssertionError(f"lookup of id {ident} returned {obj!r}")


def consume(items: Iterable[Any]) -> int:
    """Touch one attribute of every ORM object; return the row count."""
    count = total = 0
    for item in items:
        total += item.n
        count += 1
    return count


def consume_tuples(rows: Iterable[Sequence[Any]]) -> int:
    """Touch the ``n`` column (the fourth) of every row tuple; return the row count."""
    count = total = 0
    for row in rows:
        total += row[3]
        count += 1
    return count


def check_page(ids: Sequence[int], size: int) -> int:
    if len(ids) != size:
        raise AssertionError(f"a page of {size} rows had {len(ids)}")
    return ids[-1]
