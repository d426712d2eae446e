"""Read-only units of work: the database's read-only mode for the whole session, and no flush of changes.

The mode is set on the connection, not on one transaction, so that nothing a
read-only unit runs can write: not after a COMMIT sent as SQL, and not after DDL
that MariaDB commits implicitly (DDL and TRUNCATE are refused too). It is reset
when the connection goes back to the pool. A read-only session that joins a
transaction it does not own (the testing plugin's isolation) makes only its own
part read-only: PostgreSQL's transaction mode inside the savepoint, SQLite's
``query_only`` until the session's transaction ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.pool import PoolResetState

from . import _backends
from ._backends import backend
from ._guard import autocommit
from ._pooler import pooled
from .errors import ReadOnlyError, UsageError

__all__ = ["READ_ONLY", "install", "listen", "refuse_changes"]

READ_ONLY = "datalayer_read_only"
"""The ``Session.info`` key that marks a read-only session."""

_MODE = "datalayer_read_only_mode"  # connection record info: the connection is in read-only mode
_SESSION_DEFAULT = "session"  # _MODE's value when set as the PostgreSQL session's default
_JOINED = "datalayer_read_only_joined"  # session info: the joined connection to make writable again


def _begin_read_only(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    if not session.info.get(READ_ONLY) or connection.info.get(_MODE):
        return
    facts = backend(connection.dialect)
    in_savepoint = connection.in_nested_transaction()
    if in_savepoint or connection is session.bind:  # joined someone else's transaction: change only our part
        if in_savepoint and facts.read_only_in_savepoint_sql is not None:
            connection.exec_driver_sql(facts.read_only_in_savepoint_sql)  # undone with the savepoint
        elif facts.read_only_per_session and facts.read_only_sql is not None:
            connection.exec_driver_sql(facts.read_only_sql)
            session.info[_JOINED] = connection
            if not event.contains(session, "after_transaction_end", _end_joined):
                # On this session alone: every other session's flushes skip the call.
                event.listen(session, "after_transaction_end", _end_joined)
        # Joined without a savepoint (join_transaction_mode="rollback_only"), PostgreSQL and
        # MariaDB could only make the owner's whole transaction read-only: the ORM refuses alone.
        return
    dbapi_connection: Any = connection.connection.dbapi_connection
    if _psycopg(connection.dialect) and not dbapi_connection.autocommit:
        # psycopg begins every transaction of the connection with BEGIN READ ONLY: no round trip.
        dbapi_connection.read_only = True
    elif facts.read_only_sql is None:
        return
    elif pooled(connection.engine):
        _refuse_autocommit_behind_pooler(connection)
        if facts.read_only_in_savepoint_sql is not None:  # SET TRANSACTION READ ONLY: ends with it
            connection.exec_driver_sql(facts.read_only_in_savepoint_sql)
        return
    else:
        # (PostgreSQL under AUTOCOMMIT: psycopg begins no transaction, the session's default counts.)
        connection.exec_driver_sql(facts.read_only_sql)
        if facts.read_write_commits:
            connection.info[_MODE] = _SESSION_DEFAULT
            return
    connection.info[_MODE] = True


def _refuse_autocommit_behind_pooler(connection: Connection) -> None:
    # Behind a transaction pooler the server connection goes to another client after the
    # transaction: only the transaction itself may be read-only, and under AUTOCOMMIT there is none.
    if autocommit(connection):
        raise UsageError(
            "a read-only unit on an AUTOCOMMIT engine behind a transaction pooler: the database cannot "
            "hold it read-only (a session setting would pass to the pooler's next client); use the "
            "engine's default isolation level"
        )


def _end_joined(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and _JOINED in session.info:
        connection: Connection = session.info.pop(_JOINED)
        facts = backend(connection.dialect)
        if not connection.closed and facts.read_write_sql is not None:
            connection.exec_driver_sql(facts.read_write_sql)


def _refuse_write_statements(state: ORMExecuteState) -> None:
    # INSERT, UPDATE and DELETE statements run through the session are refused before
    # anything is sent, as flushes are: the same everywhere, in the testing plugin's
    # isolation too, where MariaDB cannot switch a transaction already begun to read-only.
    if (state.is_insert or state.is_update or state.is_delete) and state.session.info.get(READ_ONLY):
        raise ReadOnlyError("a read-only unit of work cannot write: an INSERT, UPDATE or DELETE was refused")


def refuse_changes(session: Session, *, new: int = 0) -> None:
    """Refuse, before anything is sent, to flush a read-only session's changes (called before each flush).

    ``new``: objects about to be inserted without being added to the session first.
    """
    if session.info.get(READ_ONLY) and (new or session.new or session.dirty or session.deleted):
        raise ReadOnlyError(
            f"a read-only unit of work cannot write: {len(session.new) + new} new, "
            f"{len(session.dirty)} changed and {len(session.deleted)} deleted objects"
        )


def listen(session_class: type[Session]) -> None:
    """Make read-only sessions of ``session_class`` refuse writes (datalayer's class, not all sessions).

    Their flushes are refused by :func:`refuse_changes`, which the Session's one
    ``before_flush`` listener calls.
    """
    event.listen(session_class, "after_begin", _begin_read_only)
    event.listen(session_class, "do_orm_execute", _refuse_write_statements)


def install(engine: Engine) -> None:
    """End the read-only mode of ``engine``'s connections as they go back to the pool."""
    facts = backend(engine.dialect)
    if facts.read_write_sql is None:
        return
    writable = _statement(facts.read_write_sql, commit=facts.read_write_commits)
    psycopg = _psycopg(engine.dialect)

    def reset(dbapi_connection: Any, connection_record: Any, state: PoolResetState) -> None:
        # Runs before the pool's own rollback; a failure makes the pool discard the connection.
        mode = connection_record.info.pop(_MODE, None)
        if mode is None or state.terminate_only:
            return
        if psycopg and mode != _SESSION_DEFAULT:
            _psycopg_writable(dbapi_connection)
        else:
            writable(dbapi_connection)

    event.listen(engine.pool, "reset", reset)


def _psycopg(dialect: Dialect) -> bool:
    """psycopg: the read-only mode is the connection's ``read_only`` attribute, no statement."""
    return dialect.name == "postgresql" and _backends.driver(dialect) == "psycopg"


def _psycopg_writable(dbapi_connection: Any) -> None:
    dbapi_connection.rollback()  # the mode can change only between transactions
    # The server's default again (a plain BEGIN), not READ WRITE, which a replica refuses.
    dbapi_connection.read_only = None


def _statement(sql: str, *, commit: bool = False) -> Callable[[Any], None]:
    def run(dbapi_connection: Any) -> None:
        if commit:  # PostgreSQL: a SET inside a transaction would go with the pool's rollback
            dbapi_connection.rollback()
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()
        if commit:
            dbapi_connection.commit()

    return run
