"""The raw path: a view's SELECT sent on the session's DBAPI connection, processed as SQLAlchemy does.

SQLAlchemy's execution costs a lookup by key tens of microseconds, which SQLite
answers in a few. Where nothing would hear the statement (``_listeners``), the
statement prepared for the dialect (``_prepared``) is sent on the DBAPI cursor of
the session's connection. A failure goes through SQLAlchemy's own error handling,
as the same statement's would: wrapped in the same exception, ``handle_error``
listeners called (the transaction guard's among them), a lost connection
invalidated. On SQLite a failed SELECT leaves the transaction as it was; on
PostgreSQL it aborts it, which the guard then tells at COMMIT, as for any statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

from sqlalchemy.engine import Connection

from ._listeners import heard, watched
from ._prepared import Prepared, Processors, result_processors

__all__ = ["fetch", "raw_connection"]


def raw_connection(connection: Connection, prepared: Prepared) -> Any | None:
    """The DBAPI connection to send ``prepared`` on, raw, now; None when SQLAlchemy's execution must."""
    if prepared.sql is None:
        return None
    pooled = connection._dbapi_connection  # pyright: ignore[reportPrivateUsage]
    if pooled is None:
        return None  # invalidated or closed: SQLAlchemy's execution says so, or reconnects
    transaction = connection._transaction  # pyright: ignore[reportPrivateUsage]
    nested = connection._nested_transaction  # pyright: ignore[reportPrivateUsage]
    if (transaction is not None and not transaction.is_active) or (
        nested is not None and not nested.is_active
    ):
        return None  # SQLAlchemy refuses the statement: let it
    watching = prepared.watching
    if watching is None or watching.engine() is not connection.engine:
        watching = prepared.watching = watched(connection.engine)
    if heard(connection, watching):
        return None
    return pooled.dbapi_connection


def fetch(
    connection: Connection, driver: Any, prepared: Prepared, values: tuple[Any, ...], one: bool
) -> list[Any]:
    """The rows of ``prepared`` (``one``: the first at most) for ``values``, sent on ``driver``, processed."""
    sql = prepared.sql
    tail = prepared.tail
    params: Any = values
    try:
        params = values + tail if tail is not None else prepared.params(values)  # type: ignore[misc]
        cursor = driver.cursor()
    except BaseException as error:  # as SQLAlchemy fails setting up an execution
        connection._handle_dbapi_exception(error, sql, params, None, None)  # pyright: ignore[reportPrivateUsage]
    try:
        cursor.execute(sql, params)
    except BaseException as error:
        _failed(connection, error, sql, params, cursor)
    try:
        if one:
            row = cursor.fetchone()
            rows: list[Any] = [] if row is None else [row]
        else:
            rows = cursor.fetchall()
        processors = prepared.processors
        if processors is None:
            processors = prepared.processors = result_processors(prepared, cursor.description)
        cursor.close()
    except BaseException as error:
        _failed(connection, error, None, None, cursor)
    if processors and rows:
        rows = [_processed(row, processors) for row in rows]
    return rows


def _processed(row: Sequence[Any], processors: Processors) -> list[Any]:
    values = list(row)
    for index, process in processors:
        values[index] = process(values[index])
    return values


def _failed(
    connection: Connection, error: BaseException, sql: str | None, params: Any, cursor: Any
) -> NoReturn:
    """Fail as SQLAlchemy does when a cursor fails: a driver error wrapped with its statement."""
    from_driver = isinstance(error, connection.dialect.loaded_dbapi.Error)
    connection._handle_dbapi_exception(  # pyright: ignore[reportPrivateUsage]
        error, sql if from_driver else None, params if from_driver else None, cursor, None
    )
