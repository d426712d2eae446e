"""Behind a transaction pooler (PgBouncer in transaction mode): ``Database(url, pooler="transaction")``.

Such a pooler lends a server connection to a client for one transaction, then to
another client: whatever outlives a transaction on the server is met by the next
one. On an engine told so:

- psycopg prepares no statement (``prepare_threshold=None``): its automatic prepared
  statements are named per client connection, and would meet another client's on the
  server (``DuplicatePreparedStatement``) or be missing there; asyncpg's statement
  caches are off, and the statements it must prepare get unique names;
- a read-only unit is read-only by its transaction (``BEGIN READ ONLY``, or ``SET
  TRANSACTION READ ONLY``), never by a session default that the next client would
  inherit; under AUTOCOMMIT, with no transaction to carry it, it is refused.

A pooler answers as the server does, so datalayer is told rather than guessing.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Engine

from .errors import UsageError

__all__ = ["engine_options", "mark", "pooled"]

_POOLED: weakref.WeakSet[Engine] = weakref.WeakSet()


def engine_options(drivername: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` for ``create_engine()``: without ``pooler``, and with what an engine behind it needs.

    The caller's own ``connect_args`` are kept.
    """
    pooler = options.get("pooler")
    options = {name: value for name, value in options.items() if name != "pooler"}
    if pooler is None:
        return options
    if pooler != "transaction":
        raise UsageError(
            f"pooler={pooler!r}: the one known is 'transaction' (PgBouncer's pool_mode = transaction); "
            "leave it out for a direct connection or a pooler in session mode"
        )
    backend, _, driver = drivername.partition("+")
    if backend != "postgresql":
        raise UsageError(f"pooler='transaction' is for PostgreSQL behind PgBouncer, not {backend}")
    connect_args = dict(options.get("connect_args") or {})
    if driver in ("psycopg", "psycopg_async"):
        connect_args.setdefault("prepare_threshold", None)
    elif driver == "asyncpg":
        connect_args.setdefault("statement_cache_size", 0)
        connect_args.setdefault("prepared_statement_cache_size", 0)
        connect_args.setdefault("prepared_statement_name_func", _unique_statement_name)
    return {**options, "connect_args": connect_args}


def mark(engine: Engine) -> None:
    """Remember that ``engine`` (a sync engine, an async one's ``sync_engine``) is behind a pooler."""
    _POOLED.add(engine)


def pooled(engine: Engine) -> bool:
    """Whether ``engine`` was made with ``pooler="transaction"``."""
    return engine in _POOLED


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"
