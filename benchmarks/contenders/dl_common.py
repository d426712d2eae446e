"""What the two datalayer contenders share: the database, the unit of work, optional APIs.

APIs still to come (``create_many``, ``stream``/``stream_all``, ``page``) are
looked up when called: where this version of datalayer lacks one, the workload
reports "n/a" with the missing name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any, cast

from sqlalchemy import Engine

from benchmarks.schema import BenchBase, BenchEvent, BenchItem, BenchOrder, BenchUser
from datalayer import Database, UnitOfWork
from repositories import Repository

from .base import Contender, NotAvailable, consume

__all__ = ["BenchUnit", "DatalayerContender", "api", "consume_stream", "page_items"]


class BenchUnit(UnitOfWork):
    """The benchmark's unit of work: one repository per table."""

    users: Repository[BenchUser]
    orders: Repository[BenchOrder]
    items: Repository[BenchItem]
    events: Repository[BenchEvent]


def api(owner: object, name: str) -> Callable[..., Any]:
    method = getattr(owner, name, None)
    if method is None:
        raise NotAvailable(f"{type(owner).__name__}.{name} does not exist in this datalayer version")
    return method  # type: ignore[no-any-return]


def page_items(result: Any) -> Iterable[Any]:
    """The rows of a page or stream result: the result itself, or its ``.items``."""
    items = getattr(result, "items", None)
    return items if items is not None and not callable(items) else result  # type: ignore[no-any-return]


def consume_stream(result: Any) -> int:
    """Read a stream: an iterable, or a context manager that gives one."""
    if isinstance(result, AbstractContextManager) and not isinstance(result, Iterable):
        manager = cast("AbstractContextManager[Any]", result)
        with manager as rows:
            return consume(page_items(rows))
    return consume(page_items(result))


class DatalayerContender(Contender):
    """A ``Database`` of datalayer's own on the benchmark tables."""

    def __init__(self, url: str) -> None:
        self.db = Database(url, model_class=BenchBase)

    def engines(self) -> list[Engine]:
        return [self.db.engine]

    def close(self) -> None:
        self.db.dispose()
