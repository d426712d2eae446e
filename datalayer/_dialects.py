"""What differs between databases: error codes, engine set-up, locking reads.

Every driver error is classified by the code the driver exposes, never by its
message: SQLSTATE on PostgreSQL, the extended result code on SQLite, the server
error number on MariaDB/MySQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine

__all__ = [
    "configure_engine",
    "constraint_name",
    "engine_defaults",
    "implicit_constraint_name",
    "is_unique_violation",
    "needs_locking_reread",
    "reread_sees_latest",
]

# PostgreSQL: unique_violation.
_PG_UNIQUE = "23505"
# SQLite extended result codes: SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE.
_SQLITE_UNIQUE = frozenset({1555, 2067})
# MariaDB/MySQL: ER_DUP_ENTRY, ER_DUP_ENTRY_WITH_KEY_NAME.
_MYSQL_UNIQUE = frozenset({1062, 1586})


def _mysql_errno(orig: BaseException | None) -> int | None:
    errno = getattr(orig, "errno", None)  # mariadb connector
    if isinstance(errno, int):
        return errno
    if orig is not None and orig.args and isinstance(orig.args[0], int):  # PyMySQL, mysqlclient
        return orig.args[0]
    return None


def is_unique_violation(dialect: Dialect, orig: BaseException | None) -> bool:
    """Whether the driver exception ``orig`` is a unique (or primary key) violation."""
    name = dialect.name
    if name == "postgresql":
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        return code == _PG_UNIQUE
    if name == "sqlite":
        return getattr(orig, "sqlite_errorcode", None) in _SQLITE_UNIQUE
    if name in ("mysql", "mariadb"):
        return _mysql_errno(orig) in _MYSQL_UNIQUE
    return False


def constraint_name(orig: BaseException | None) -> str | None:
    """The violated constraint's name when the driver reports it (PostgreSQL does)."""
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name if isinstance(name, str) else None


def needs_locking_reread(dialect: Dialect) -> bool:
    """Whether re-reading a conflicting row must be a locking read to see it.

    InnoDB's plain reads under REPEATABLE READ come from the transaction's
    snapshot, which misses a row committed by a concurrent winner; a locking read
    (``LOCK IN SHARE MODE``) always reads the latest committed version.
    """
    return dialect.name in ("mysql", "mariadb")


def reread_sees_latest(dialect: Dialect) -> bool:
    """Whether the re-read after a unique violation always sees the conflicting row.

    True where the row can neither be hidden by a snapshot nor deleted meanwhile:
    InnoDB's locking read sees the latest committed row, and the duplicate-key
    error left a shared lock on it; SQLite has one writer at a time, and the
    failed insert already made this transaction that writer.
    """
    return dialect.name in ("mysql", "mariadb", "sqlite")


def implicit_constraint_name(
    dialect: Dialect, table: str, columns: tuple[str, ...], primary: bool
) -> str | None:
    """The name the server gives an unnamed unique or primary key constraint, where known."""
    if dialect.name != "postgresql":
        return None
    name = f"{table}_pkey" if primary else f"{table}_{'_'.join(columns)}_key"
    return name if len(name) <= dialect.max_identifier_length else None


def engine_defaults(drivername: str, options: dict[str, Any]) -> dict[str, Any]:
    """Engine options datalayer sets unless the caller chose otherwise."""
    backend = drivername.partition("+")[0]
    defaults: dict[str, Any] = {}
    if backend in ("mysql", "mariadb"):
        # InnoDB defaults to REPEATABLE READ, where get-or-create re-reads miss
        # concurrent winners; READ COMMITTED is what web applications expect.
        defaults["isolation_level"] = "READ COMMITTED"
    return {**defaults, **options}


def configure_engine(engine: Engine) -> None:
    """Per-dialect fixes applied to every engine a Database creates."""
    if engine.dialect.name == "sqlite" and engine.dialect.driver == "pysqlite":
        _fix_pysqlite_transactions(engine)


def _fix_pysqlite_transactions(engine: Engine) -> None:
    # The stdlib driver begins transactions lazily, on its own, before DML only:
    # a SAVEPOINT issued first then runs outside any transaction and is committed
    # by its RELEASE. Turn the driver's handling off and emit BEGIN ourselves, so
    # savepoints nest inside a real transaction and rollbacks undo them.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")
