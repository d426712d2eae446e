"""What differs between the databases: one record per backend, looked up by the dialect's name.

Adding a backend means adding a record here; a new driver of a known backend
may also need its probes of the transaction's state (``_guard``) and of its
read-only mode (``_read_only``), which read driver objects.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from sqlalchemy import Table
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect

from . import _error_codes as _codes
from ._error_codes import Kind

__all__ = ["Backend", "backend", "driver", "engine_defaults", "is_unique_violation"]


@attrs.frozen
class Backend:
    """The facts datalayer needs about one database."""

    name: str
    error_kind: Callable[[BaseException], Kind | None]
    """What a driver exception means, by its code (SQLSTATE, result code, error number)."""
    native_insert: Callable[[Table[Any]], Any] | None = None
    """The dialect's INSERT with its conflict clause, if any: create_or_first's one round trip and upsert."""
    native_drivers: frozenset[str] = frozenset()
    """The drivers the one-round-trip path runs on."""
    on_duplicate_key: bool = False
    """``ON DUPLICATE KEY UPDATE`` instead of ``ON CONFLICT`` (MariaDB): no ``DO NOTHING`` (a unique
    violation fails the INSERT, which undoes itself alone), and the UPDATE fires on any unique key."""
    native_in_savepoint: bool = False
    """A failed statement aborts the whole transaction: the native INSERT goes in a pipelined SAVEPOINT."""
    native_only_at_read_committed: bool = False
    """Under snapshot isolation, a conflict with an invisible row is a serialization failure."""
    locking_reread: bool = False
    """A plain re-read comes from the snapshot and misses a concurrent winner: read with a shared lock."""
    reread_sees_latest: bool = False
    """The re-read after a unique violation always sees the conflicting row (locked, or one writer)."""
    names_implicit_constraints: bool = False
    """Unnamed unique and primary keys get ``<table>_<columns>_key`` / ``<table>_pkey`` names."""
    defaults: Mapping[str, Any] = attrs.field(factory=dict[str, Any])
    """Engine options datalayer sets unless the caller chose otherwise."""
    stream_owns_connection: bool = False
    """The driver reads an unfinished server-side result away before the next statement."""
    inserts_one_row_at_a_time: bool = False
    """SQLAlchemy keeps a bulk INSERT's order by sending one row per statement."""
    connect_failures_coded: bool = True
    """A failure to connect carries the server's error code (psycopg's do not)."""
    read_only_sql: str | None = None
    """Puts the connection's transactions in read-only mode (None: no such mode)."""
    read_write_sql: str | None = None
    """Ends that mode."""
    read_write_commits: bool = False
    """The mode is the session's default, changed by a statement that must be committed to stay."""
    read_only_in_savepoint_sql: str | None = None
    """Makes a savepoint's part of someone else's transaction read-only, undone with the savepoint."""
    read_only_per_session: bool = False
    """The mode can be switched on and off around one session on a shared connection."""
    deadlock_at_commit_is_certification: bool = False
    """A deadlock reported by COMMIT itself is a Galera certification failure (InnoDB takes no lock there)."""

    def implicit_constraint_name(
        self, dialect: Dialect, table: str, columns: tuple[str, ...], primary: bool
    ) -> str | None:
        """The name the server gives an unnamed unique or primary key constraint, where known."""
        if not self.names_implicit_constraints:
            return None
        name = f"{table}_pkey" if primary else f"{table}_{'_'.join(columns)}_key"
        return name if len(name) <= dialect.max_identifier_length else None


# The read-only statements, as literals: no SQL is ever built at run time.
_SQLITE_READ_ONLY = "PRAGMA query_only = 1"
_SQLITE_READ_WRITE = "PRAGMA query_only = 0"
_POSTGRESQL_READ_ONLY = "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
_POSTGRESQL_READ_WRITE = "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"
_POSTGRESQL_SAVEPOINT_READ_ONLY = "SET TRANSACTION READ ONLY"
_MYSQL_READ_ONLY = "SET SESSION TRANSACTION READ ONLY"  # MariaDB then refuses DDL and TRUNCATE too
_MYSQL_READ_WRITE = "SET SESSION TRANSACTION READ WRITE"

SQLITE = Backend(
    "sqlite",
    _codes.sqlite_kind,
    native_insert=sqlite_insert if sqlite3.sqlite_version_info >= (3, 35) else None,
    native_drivers=frozenset({"pysqlite", "aiosqlite (asyncio)"}),
    reread_sees_latest=True,
    inserts_one_row_at_a_time=True,
    read_only_sql=_SQLITE_READ_ONLY,
    read_write_sql=_SQLITE_READ_WRITE,
    read_only_per_session=True,
)
POSTGRESQL = Backend(
    "postgresql",
    _codes.postgresql_kind,
    native_insert=postgresql_insert,
    native_drivers=frozenset({"psycopg"}),
    native_in_savepoint=True,
    native_only_at_read_committed=True,
    names_implicit_constraints=True,
    connect_failures_coded=False,
    read_only_sql=_POSTGRESQL_READ_ONLY,
    read_write_sql=_POSTGRESQL_READ_WRITE,
    read_write_commits=True,
    read_only_in_savepoint_sql=_POSTGRESQL_SAVEPOINT_READ_ONLY,
)
MYSQL = Backend(
    "mysql",
    _codes.mysql_kind,
    # A plain INSERT .. RETURNING (MariaDB 10.5+): InnoDB undoes a failed statement
    # alone, so a unique violation costs nothing but that statement. Any driver could
    # take it; those listed are the ones the suite runs it on.
    native_insert=mysql_insert,
    native_drivers=frozenset({"pymysql", "aiomysql (asyncio)"}),
    on_duplicate_key=True,
    locking_reread=True,
    reread_sees_latest=True,
    # InnoDB defaults to REPEATABLE READ, where get-or-create re-reads miss
    # concurrent winners; READ COMMITTED is what web applications expect.
    defaults={"isolation_level": "READ COMMITTED"},
    stream_owns_connection=True,
    read_only_sql=_MYSQL_READ_ONLY,
    read_write_sql=_MYSQL_READ_WRITE,
    deadlock_at_commit_is_certification=True,
)
OTHER = Backend("other", lambda _orig: None)
"""Any other database: no native path, nothing assumed."""

_BY_NAME = {"sqlite": SQLITE, "postgresql": POSTGRESQL, "mysql": MYSQL, "mariadb": MYSQL}


def backend(dialect: Dialect) -> Backend:
    """The record of ``dialect``'s database."""
    return _BY_NAME.get(dialect.name, OTHER)


def driver(dialect: Dialect) -> str:
    """The dialect's driver, told apart from its sync twin when async: ``"psycopg (asyncio)"``."""
    return f"{dialect.driver} (asyncio)" if dialect.is_async else dialect.driver


def engine_defaults(drivername: str, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` over the defaults of the backend named in ``drivername`` (``postgresql+psycopg``)."""
    return {**_BY_NAME.get(drivername.partition("+")[0], OTHER).defaults, **options}


def is_unique_violation(dialect: Dialect, orig: BaseException | None) -> bool:
    """Whether the driver exception ``orig`` is a unique (or primary key) violation."""
    return orig is not None and backend(dialect).error_kind(orig) is Kind.UNIQUE
