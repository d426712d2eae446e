"""Sending a ``create_many``'s rows: on the session's own connection, failing as a flush fails.

Whatever the rows go by (SQLAlchemy's statement, the driver's executemany,
psycopg's COPY), a failure rolls the session's transaction back as a failed
flush does, a unique violation becomes :class:`~datalayer.errors.ConflictError`,
and a row the database names (COPY reports its line) is named by its index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Mapper, Session

from ._bulk_rows import in_row
from ._copy import failed_row
from ._failed_write import fail_as_flush
from ._translate import unique_conflict

__all__ = ["send_rows"]


def send_rows(
    session: Session, mapper: Mapper[Any], send: Callable[[Connection], object], copy_sql: str | None = None
) -> None:
    """Run ``send(connection)`` on the session's connection; fail as a flush, a conflict as ConflictError."""
    connection: Connection = session.connection(bind_arguments={"mapper": mapper})
    try:
        send(connection)
    except BaseException as error:
        fail_as_flush(session)
        dialect = connection.dialect
        if copy_sql is not None and isinstance(error, dialect.loaded_dbapi.Error):
            index = failed_row(error)
            if index is not None:  # named before wrapping: the wrapper's message is made from it
                in_row(error, index, "create_many")
            wrapped = sa_exc.DBAPIError.instance(
                copy_sql, None, error, dialect.loaded_dbapi.Error, dialect=dialect
            )
            assert isinstance(wrapped, sa_exc.DBAPIError)  # a driver error is always wrapped as one
            conflict = _conflict(dialect, wrapped, index)
            if conflict is not None:
                raise conflict from wrapped
            raise wrapped from error
        if isinstance(error, sa_exc.DBAPIError):
            conflict = _conflict(dialect, error, None)
            if conflict is not None:
                raise conflict from error
        raise


def _conflict(dialect: Dialect, error: sa_exc.DBAPIError, index: int | None) -> Exception | None:
    """A unique violation as ConflictError naming the row when known; else None (the error names it)."""
    what = "a row of create_many" if index is None else f"row {index} of create_many"
    return unique_conflict(dialect, error, f"{what}: roll the session back before using it again")
