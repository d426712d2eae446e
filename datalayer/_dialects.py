"""What differs between databases: engine set-up, constraint names, re-reads after a conflict."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine

from . import _guard, _native, _read_only

__all__ = [
    "configure_engine",
    "engine_defaults",
    "implicit_constraint_name",
    "needs_locking_reread",
    "reread_sees_latest",
]


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
    _guard.install(engine)
    _native.install(engine)
    _read_only.install(engine)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "checkin", _sqlite_checkin)
        if engine.dialect.driver == "pysqlite":
            _fix_pysqlite_transactions(engine)


def _sqlite_checkin(dbapi_connection: Any, connection_record: Any) -> None:
    # A COMMIT that SQLite refuses (a deferred foreign key) leaves its transaction
    # open while SQLAlchemy counts it ended and skips the reset: end it here, or the
    # next user of the connection fails on BEGIN.
    if getattr(dbapi_connection, "in_transaction", False):
        dbapi_connection.rollback()


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
        if not _guard.autocommit(connection):  # AUTOCOMMIT: every statement commits at once
            connection.exec_driver_sql("BEGIN")
