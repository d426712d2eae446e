"""The transaction guard: a COMMIT is never reported for a transaction the database already ended.

Two things end a transaction while SQLAlchemy still counts it open:

- the database rolls it back, or marks it failed, after a statement failed inside it
  (PostgreSQL refuses everything up to the end of an aborted transaction; InnoDB
  rolls the whole transaction back on a deadlock; SQLite on some errors), and the
  code caught the failure and went on;
- a statement ends it by itself (DDL on MariaDB commits implicitly; a COMMIT or
  ROLLBACK sent as SQL).

The guard reads the driver's own view of the transaction after each statement and
each failure, never the statement's text. A transaction the database rolled back is
refused at COMMIT with :class:`~datalayer.errors.TransactionAbortedError`; one that a
statement ended is recorded, so that a unit of work knows part of it is committed.
Installed on every engine a :class:`~datalayer.Database` or an ``AsyncDatabase`` makes,
for the drivers whose state it can read: psycopg (both modes), PyMySQL and aiomysql,
sqlite3 and aiosqlite, which it reads from the driver's own connection; and asyncpg,
which does not say whether a transaction failed: after a failure in a transaction,
its COMMIT first asks the server with a ``SELECT 1`` that an aborted one refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine, ExceptionContext
from sqlalchemy.pool import PoolProxiedConnection

from . import _error_codes as _codes
from ._backends import backend, driver
from ._views import ignores_selects
from .errors import TransactionAbortedError

__all__ = ["autocommit", "ends", "install", "refusal"]

_ABORTED = "datalayer_aborted"  # the failure that made the database roll the transaction back
_ENDS = "datalayer_ends"  # how many transactions statements have ended on this connection, ever
_WROTE = "datalayer_wrote"  # MariaDB: the server reported a transaction with changes
_FAILURE = "datalayer_failure"  # the last statement failure, to chain to TransactionAbortedError

# psycopg's TransactionStatus and MariaDB's server status flags.
_PG_IDLE, _PG_INERROR = 0, 3
_MYSQL_IN_TRANS, _MYSQL_AUTOCOMMIT = 0x0001, 0x0002
_MYSQL_DEADLOCK, _MYSQL_LOCK_WAIT_TIMEOUT = 1213, 1205
# Galera's wsrep_max_ws_rows, exceeded by a statement: the whole transaction is rolled back, and
# the next statement begins another (the server says so with ER_ERROR_DURING_COMMIT).
_MYSQL_ERROR_DURING_COMMIT = 1180

_Check = Callable[[Connection, Any, dict[str, Any]], None]
_AfterCheck = Callable[[Connection, PoolProxiedConnection, Any, Any, dict[str, Any]], None]


def install(engine: Engine) -> None:
    """Watch every transaction of ``engine`` (when its driver's state can be read)."""
    probes = _probes(engine.dialect)
    if probes is None:
        return
    event.listen(engine, "begin", _begin)
    after = _after_statement(probes.after, watches_writes=probes.watches_writes)
    failed = _after_failure(probes.failed)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)
    # A view's SELECT sent raw skips ``after`` (nothing to see after a SELECT built with
    # SQLAlchemy's constructs) and fails through SQLAlchemy's handling, which calls ``failed``.
    ignores_selects(after)
    ignores_selects(failed)
    event.listen(engine, "commit", _commit)
    event.listen(engine, "rollback", _rollback)


def ends(info: dict[str, Any]) -> int:
    """How many transactions statements have ended by themselves on the connection of ``info``.

    A count that only grows, kept with the pooled connection: compare it before and
    after a piece of work to tell whether a statement committed part of it.
    """
    return int(info.get(_ENDS, 0))


def _ended(info: dict[str, Any]) -> None:
    info[_ENDS] = info.get(_ENDS, 0) + 1


def _rollback(connection: Connection) -> None:
    if not connection.invalidated:  # nothing to refuse after a rollback: forget the failures
        _begin(connection)


def _begin(connection: Connection) -> None:
    info = connection.info
    for key in (_ABORTED, _WROTE, _FAILURE):
        info.pop(key, None)


def _after_statement(check: _AfterCheck, *, watches_writes: bool) -> Callable[..., None]:
    def after_cursor_execute(
        connection: Connection, cursor: Any, _sql: Any, _params: Any, context: Any, _many: Any
    ) -> None:
        # A statement built with SQLAlchemy's constructs (a SELECT, a SAVEPOINT, an INSERT)
        # cannot end a transaction: only SQL text and DDL can. Skipped on the hot path,
        # except the writes MariaDB's check has to see (``watches_writes``).
        if (
            context.compiled is not None
            and not context.is_text
            and not context.isddl
            and not (watches_writes and (context.isinsert or context.isupdate or context.isdelete))
        ):
            return
        if connection.in_transaction():
            check(connection, connection.connection, cursor, context, connection.info)

    return after_cursor_execute


def _after_failure(check: _Check) -> Callable[[ExceptionContext], None]:
    def handle_error(context: ExceptionContext) -> None:
        connection = context.connection
        if connection is None or context.is_disconnect or not connection.in_transaction():
            return
        connection.info[_FAILURE] = context.sqlalchemy_exception or context.original_exception
        check(connection, context, connection.info)

    return handle_error


def refusal(connection: Connection) -> TransactionAbortedError | None:
    """The error that refuses a COMMIT of ``connection``'s transaction, or None when it may commit."""
    probes = _probes(connection.dialect)
    pooled = None if connection.invalidated else connection.connection
    if probes is None or pooled is None or pooled.dbapi_connection is None:
        return None  # a driver the guard cannot read, or a COMMIT that fails on its own
    info = connection.info
    aborted = info.get(_ABORTED)
    if aborted is None and probes.marked_failed(pooled, info):
        aborted = info.get(_FAILURE) or True
    if aborted is None:
        return None
    cause = aborted if isinstance(aborted, BaseException) else None
    error = TransactionAbortedError(
        "the database rolled this transaction back after a statement failed inside it "
        f"({_describe(cause)}); the failure was caught and the code went on, but nothing of the "
        "transaction can be committed, and none of it was saved"
    )
    error.__cause__ = cause
    return error


def _commit(connection: Connection) -> None:
    error = refusal(connection)
    if error is None:
        if not connection.invalidated:
            connection.info.pop(_FAILURE, None)
        return
    _begin(connection)
    # SQLAlchemy counts the transaction ended once its COMMIT is refused, and returns the
    # connection to the pool without a rollback: end the transaction here.
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None:
        dbapi_connection.rollback()
    raise error


def _describe(cause: BaseException | None) -> str:
    if cause is None:
        return "the failure is not known"
    return f"{type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}".rstrip(": ")


def _remember_failure(_connection: Connection, _context: Any, _info: dict[str, Any]) -> None:
    """PostgreSQL keeps an aborted transaction marked until it ends: read at COMMIT."""


def _driver(pooled: PoolProxiedConnection) -> Any:
    """The driver's own connection: the async driver's under SQLAlchemy's adapter, else the DBAPI one."""
    return pooled.driver_connection  # read only while a statement runs on it: never None there


def _pg_marked_failed(pooled: PoolProxiedConnection, _info: dict[str, Any]) -> bool:
    return bool(_driver(pooled).pgconn.transaction_status == _PG_INERROR)


def _asyncpg_marked_failed(pooled: PoolProxiedConnection, info: dict[str, Any]) -> bool:
    # asyncpg does not say whether the transaction failed: after a failure inside it,
    # ask the server, which refuses every statement of an aborted transaction.
    if _FAILURE not in info:
        return False
    try:
        pooled.cursor().execute("SELECT 1")
    except Exception:
        return True
    return False


def _never_marked(_pooled: PoolProxiedConnection, _info: dict[str, Any]) -> bool:
    return False  # the database rolls back at once, and the failure handler records it


def _pg_after(
    connection: Connection, pooled: PoolProxiedConnection, _cursor: Any, _context: Any, info: dict[str, Any]
) -> None:
    if _driver(pooled).pgconn.transaction_status == _PG_IDLE and not autocommit(connection):
        _ended(info)


def _asyncpg_after(
    connection: Connection, pooled: PoolProxiedConnection, _cursor: Any, _context: Any, info: dict[str, Any]
) -> None:
    if not _driver(pooled).is_in_transaction() and not autocommit(connection):
        _ended(info)


def _mysql_after(
    _connection: Connection, pooled: PoolProxiedConnection, cursor: Any, context: Any, info: dict[str, Any]
) -> None:
    # InnoDB reports a transaction only once it has changed something; when a
    # statement leaves none behind it, the statement ended it (DDL commits implicitly).
    # The driver reads the server's status from statements without a result set only,
    # so a statement that returns rows counts as a write when it may be one: an INSERT,
    # UPDATE or DELETE, or SQL text (an INSERT .. RETURNING sent as text is one).
    if cursor.description is not None:
        if context.isinsert or context.isupdate or context.isdelete or context.is_text:
            info[_WROTE] = True
        return
    status = _driver(pooled).server_status
    if status & _MYSQL_IN_TRANS:
        info[_WROTE] = True
    elif info.pop(_WROTE, False) and not status & _MYSQL_AUTOCOMMIT:
        _ended(info)


def _mysql_failed(connection: Connection, context: Any, info: dict[str, Any]) -> None:
    # InnoDB undoes only the failed statement, except on a deadlock (and on a lock
    # wait timeout with innodb_rollback_on_timeout), where the whole transaction goes,
    # as it does on Galera when a statement takes it past wsrep_max_ws_rows.
    # Under autocommit every statement is a transaction of its own: nothing more is undone.
    driver_connection = _driver(connection.connection)
    if driver_connection is None or driver_connection.server_status & _MYSQL_AUTOCOMMIT:
        return
    failure = context.original_exception
    errno = _codes.mysql_errno(failure)
    timed_out = errno == _MYSQL_LOCK_WAIT_TIMEOUT
    rolled_back = errno in (_MYSQL_DEADLOCK, _MYSQL_ERROR_DURING_COMMIT)
    if rolled_back or (timed_out and not _mysql_in_transaction(connection)):
        info[_ABORTED] = context.sqlalchemy_exception or failure


def _mysql_in_transaction(connection: Connection) -> bool:
    """Ask the server whether the transaction survived (a failed check counts as "no")."""
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is None:
        return False
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT @@in_transaction")
            row = cursor.fetchone()
        finally:
            cursor.close()
    except Exception:  # the failure being handled propagates anyway; assume the worst
        return False
    return bool(row and row[0])


def _sqlite_after(
    connection: Connection, pooled: PoolProxiedConnection, _cursor: Any, _context: Any, info: dict[str, Any]
) -> None:
    if not _driver(pooled).in_transaction and not autocommit(connection):
        _ended(info)
        _sqlite_begin_again(pooled)


def _sqlite_failed(connection: Connection, context: Any, info: dict[str, Any]) -> None:
    pooled = connection.connection
    if pooled.dbapi_connection is None or autocommit(connection):
        return
    if not _driver(pooled).in_transaction:
        info[_ABORTED] = context.sqlalchemy_exception or context.original_exception
        _sqlite_begin_again(pooled)


def autocommit(connection: Connection) -> bool:
    """Whether ``connection`` runs at the AUTOCOMMIT isolation level (the engine's, or its own)."""
    # SQLAlchemy's own test, as it makes before COMMIT and ROLLBACK; no public equivalent.
    return connection._is_autocommit_isolation()  # pyright: ignore[reportPrivateUsage]


class _Probes(NamedTuple):
    """How the guard reads one driver's view of the transaction."""

    after: _AfterCheck  # after each statement: did it end the transaction?
    failed: _Check  # after each failure: did the database roll the whole transaction back?
    marked_failed: Callable[[PoolProxiedConnection, dict[str, Any]], bool]  # at COMMIT: did it fail?
    watches_writes: bool = (
        False  # ``after`` must see every INSERT, UPDATE and DELETE, not only SQL text and DDL
    )


_PG = _Probes(_pg_after, _remember_failure, _pg_marked_failed)
_MYSQL = _Probes(_mysql_after, _mysql_failed, _never_marked, watches_writes=True)
_SQLITE = _Probes(_sqlite_after, _sqlite_failed, _never_marked)
_PROBES = {
    ("postgresql", "psycopg"): _PG,
    ("postgresql", "psycopg (asyncio)"): _PG,
    ("postgresql", "asyncpg (asyncio)"): _Probes(_asyncpg_after, _remember_failure, _asyncpg_marked_failed),
    ("mysql", "pymysql"): _MYSQL,
    ("mysql", "aiomysql (asyncio)"): _MYSQL,
    ("sqlite", "pysqlite"): _SQLITE,
    ("sqlite", "aiosqlite (asyncio)"): _SQLITE,
}
"""The drivers whose view of the transaction the guard reads, by (backend, driver)."""


def _probes(dialect: Dialect) -> _Probes | None:
    return _PROBES.get((backend(dialect).name, driver(dialect)))


def _sqlite_begin_again(pooled: PoolProxiedConnection) -> None:
    # With the driver's own transaction handling off, SQLite runs every later
    # statement in a transaction of its own, committed at once: begin one instead,
    # as PostgreSQL and MariaDB do, so that what follows commits or rolls back as one.
    cursor = pooled.cursor()
    try:
        cursor.execute("BEGIN")
    finally:
        cursor.close()
