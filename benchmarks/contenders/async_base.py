"""What the async contenders share: the async URL of a target, an event loop of their own, the engine.

Each async contender keeps one event loop, made when it is built and closed with it; its workload
methods are the sync interface the harness times (``lookup(keys)``), each running one coroutine to
completion on that loop. Every async contender pays that loop's overhead alike, and the ratios are to
the hand-written async ORM, which pays it too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import greenlet  # noqa: F401  (SQLAlchemy's asyncio needs it; without it every async contender is n/a)
from sqlalchemy import Engine, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .base import Contender, Keys, NotAvailable

__all__ = ["ASYNC_DRIVERS", "AsyncContender", "async_url", "plain_async_engine"]

ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg", "mysql": "aiomysql", "mariadb": "aiomysql"}
"""The asyncio driver each database is measured on, by backend name (the one place that says so)."""


def async_url(url: str) -> str:
    """``url`` with its driver swapped for the asyncio one: ``postgresql+psycopg`` -> ``+asyncpg``."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in ASYNC_DRIVERS:
        raise ValueError(f"no asyncio driver known for {backend!r}")
    return parsed.set(drivername=f"{backend}+{ASYNC_DRIVERS[backend]}").render_as_string(hide_password=False)


def plain_async_engine(url: str) -> AsyncEngine:
    """The async twin of :func:`.base.plain_engine`: what a careful engineer sets up on an async driver.

    aiosqlite: the driver's own transaction handling off and BEGIN emitted by SQLAlchemy (the recipe in
    SQLAlchemy's aiosqlite documentation), so SAVEPOINTs are real; foreign keys on. MariaDB: READ
    COMMITTED, so the re-read after a conflict sees the winner's row.
    """
    options: dict[str, Any] = {}
    if make_url(url).get_backend_name() in ("mysql", "mariadb"):
        options["isolation_level"] = "READ COMMITTED"
    engine = create_async_engine(url, **options)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine


class AsyncContender(Contender):
    """An async contender: ``self.engine`` (an AsyncEngine) and ``self.loop``, its own event loop.

    Subclasses set ``self.engine`` in ``__init__`` and then call ``super().__init__()`` (nothing is
    left open when setting up fails), and define the coroutines ``_lookup``, ``_create``... that the
    workload methods run; one they lack says "not available".
    """

    engine: AsyncEngine

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run ``coroutine`` to completion on the contender's loop."""
        self.loop.run_until_complete(coroutine)

    def lookup(self, keys: Keys) -> None:
        self.run(self._lookup(keys))

    def create(self, keys: Keys) -> None:
        self.run(self._create(keys))

    def first_or_create(self, keys: Keys) -> None:
        self.run(self._first_or_create(keys))

    def create_or_first(self, keys: Keys) -> None:
        self.run(self._create_or_first(keys))

    def upsert(self, keys: Keys) -> None:
        self.run(self._upsert(keys))

    def web_request(self, keys: Keys) -> None:
        self.run(self._web_request(keys))

    async def _lookup(self, keys: Keys) -> None:
        raise NotAvailable("no lookup by a unique column")

    async def _create(self, keys: Keys) -> None:
        raise NotAvailable("no single-row create")

    async def _first_or_create(self, keys: Keys) -> None:
        raise NotAvailable("no get-or-create")

    async def _create_or_first(self, keys: Keys) -> None:
        raise NotAvailable("no create-or-get")

    async def _upsert(self, keys: Keys) -> None:
        raise NotAvailable("no upsert")

    async def _web_request(self, keys: Keys) -> None:
        raise NotAvailable("no unit of work")

    def engines(self) -> list[Engine]:
        return [self.engine.sync_engine]

    def close(self) -> None:
        try:
            if getattr(self, "engine", None) is not None:
                self.run(self._dispose())
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()

    async def _dispose(self) -> None:
        await self.engine.dispose()
