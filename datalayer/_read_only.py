"""Read-only units of work: the database's read-only transaction mode, and no flush of changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction

from .errors import ReadOnlyError

__all__ = ["READ_ONLY", "reset_query_only"]

READ_ONLY = "datalayer_read_only"
"""The ``Session.info`` key that marks a read-only session."""

_QUERY_ONLY = "datalayer_query_only"


@event.listens_for(Session, "after_begin")
def _begin_read_only(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    if not session.info.get(READ_ONLY):
        return
    name = connection.dialect.name
    if name == "sqlite":
        connection.exec_driver_sql("PRAGMA query_only = 1")
        connection.info[_QUERY_ONLY] = True  # reset when the connection goes back to the pool
    elif name in ("postgresql", "mysql", "mariadb"):
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(READ_ONLY) and (session.new or session.dirty or session.deleted):
        raise ReadOnlyError(
            f"a read-only unit of work cannot write: {len(session.new)} new, "
            f"{len(session.dirty)} changed and {len(session.deleted)} deleted objects"
        )


def reset_query_only(dbapi_connection: Any, connection_record: Any) -> None:
    """Pool ``checkin`` listener for SQLite: end ``query_only`` set by a read-only unit."""
    if connection_record.info.pop(_QUERY_ONLY, False):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA query_only = 0")
        finally:
            cursor.close()
