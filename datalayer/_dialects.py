"""Setting up each engine a Database makes: the guard, the native path, read-only mode, SQLite's fixes.

The facts that differ between databases are records in ``_backends``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine, ExceptionContext
from sqlalchemy.pool import ConnectionPoolEntry

from . import _galera, _guard, _hosts, _pooler, _read_only, _urls
from ._backends import driver
from ._create_or_first import pipelined
from ._views import ignores_selects

__all__ = ["configure_engine"]


def configure_engine(engine: Engine, *, pooler: object = None) -> None:
    """Per-dialect fixes applied to every engine a Database creates (``pooler``: see ``_pooler``)."""
    if pooler is not None:
        _pooler.mark(engine)
    _guard.install(engine)
    pipelined.install(engine)
    # Sends a statement differently only when asked by an execution option, which a view's SELECT has not.
    ignores_selects(pipelined._execute_in_savepoint)  # pyright: ignore[reportPrivateUsage]
    _read_only.install(engine)
    if engine.dialect.name in ("mysql", "mariadb"):  # first: its do_connect tries each host= in turn
        _hosts.install(engine, connect, _urls.shown(engine.url))
        _galera.install()
    if engine.dialect.is_async:
        event.listen(engine, "handle_error", _close_interrupted_cursor)
        event.listen(engine, "do_connect", _connect_or_operational_error)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "checkin", _sqlite_checkin)
        if driver(engine.dialect) in ("pysqlite", "aiosqlite (asyncio)"):
            _fix_pysqlite_transactions(engine)


def _close_interrupted_cursor(context: ExceptionContext) -> None:
    # A statement interrupted by the task's cancellation leaves the driver's cursor
    # open, and SQLAlchemy invalidates the connection without closing it. aiosqlite's
    # then keeps SQLite's write lock after its connection is closed (the statement
    # outlives it), until garbage collection: close the cursor, after the statement.
    cursor = getattr(context.execution_context, "cursor", None)
    if cursor is not None and not isinstance(context.original_exception, Exception):
        try:
            cursor.close()
        except Exception as failure:  # the interruption propagates anyway
            context.original_exception.add_note(f"datalayer: closing its cursor failed too: {failure!r}")


def _connect_or_operational_error(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
    return connect(dialect, cargs, cparams)


def connect(dialect: Dialect, cargs: Any, cparams: Any) -> Any:
    """The dialect's connection; an async driver's OSError raised as the driver's OperationalError."""
    # asyncpg's connect raises the socket's own OSError (a refused or unreachable
    # server), which SQLAlchemy lets through unwrapped: raise it as the driver's
    # OperationalError, as every other driver does, so that it is translated (and
    # never shows the URL's password).
    if not dialect.is_async:
        return dialect.connect(*cargs, **cparams)
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as error:
        raise dialect.loaded_dbapi.OperationalError(f"cannot connect: {error}") from error


def _sqlite_checkin(dbapi_connection: Any, connection_record: ConnectionPoolEntry) -> None:
    # A COMMIT that SQLite refuses (a deferred foreign key) leaves its transaction
    # open while SQLAlchemy counts it ended and skips the reset: end it here, or the
    # next user of the connection fails on BEGIN. (aiosqlite's state is on its own
    # connection, under SQLAlchemy's adapter.)
    if getattr(connection_record.driver_connection, "in_transaction", False):
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
