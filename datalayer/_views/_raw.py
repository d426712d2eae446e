"""The raw path: a view's SELECT sent on the session's DBAPI connection, processed as SQLAlchemy does.

SQLAlchemy's execution costs a lookup-by-key tens of microseconds, which SQLite
answers in a few. Where nothing would hear the statement (``_listeners``), a
plan's SQL is compiled once per dialect, with its parameters' order and bind
processors, and sent on the DBAPI cursor; the columns' result processors are those
SQLAlchemy picks for the types the cursor describes (``TypeEngine.dialect_impl``),
taken once. A failure goes through SQLAlchemy's own error handling, as the same
statement's would: wrapped in the same exception, ``handle_error`` listeners
called, a lost connection invalidated. Async drivers, statements rendered at
execution (expanding or literal parameters) and drivers that need input sizes
always take SQLAlchemy's execution.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import attrs
from sqlalchemy.engine import BindTyping, Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from ._listeners import Watched, heard, watched

__all__ = ["Prepared", "fetch", "prepare", "raw_connection"]

Params = Callable[[tuple[Any, ...]], Any]


@attrs.define(eq=False)
class Prepared:
    """A plan's statement for one dialect: its SQL and parameters, or no SQL (SQLAlchemy's execution)."""

    dialect: weakref.ReferenceType[Dialect]
    sql: str | None = None
    params: Params | None = None
    tail: tuple[Any, ...] | None = None
    """The parameters' constants, when the values given come first as they are (then ``params`` is unused)."""
    types: tuple[Any, ...] = ()
    processors: tuple[tuple[int, Callable[[Any], Any]], ...] | None = None
    """The columns that have a result processor, once the cursor has described them."""
    watching: Watched | None = None
    epoch: int = -1
    """The ownership epoch the model was accepted on this dialect in (``_ownership.epoch``)."""


def prepare(statement: Any, names: tuple[str, ...], dialect: Dialect) -> Prepared:
    """``statement`` (its parameters given in ``names`` order) prepared for ``dialect``."""
    prepared = Prepared(weakref.ref(dialect))
    if dialect.is_async or dialect.bind_typing is BindTyping.SETINPUTSIZES or dialect.server_side_cursors:
        return prepared
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    if compiled.post_compile_params or compiled.literal_execute_params:
        return prepared
    prepared.sql = compiled.string
    prepared.params, prepared.tail = _params(compiled, names, dialect)
    prepared.types = tuple(column.type for column in statement.selected_columns)
    return prepared


def _params(
    compiled: SQLCompiler, names: tuple[str, ...], dialect: Dialect
) -> tuple[Params, tuple[Any, ...] | None]:
    """How to make the DBAPI's parameters from the values of ``names``: processed, in the SQL's order.

    With the tail of constants that follows the values as they are given, when that is all it takes.
    """
    given = {name: index for index, name in enumerate(names)}
    binds = {name: bind for bind, name in compiled.bind_names.items()}
    slots: list[tuple[int | None, Callable[[Any], Any] | None, Any]] = []
    order = compiled.positiontup if compiled.positional and compiled.positiontup is not None else list(binds)
    for name in order:
        bind = binds[name]
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if name in given:
            slots.append((given[name], process, None))
        else:
            value = bind.effective_value
            slots.append((None, None, value if process is None else process(value)))

    def make(values: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            fixed if index is None else values[index] if process is None else process(values[index])
            for index, process, fixed in slots
        )

    if not compiled.positional:
        escaped = compiled.escaped_bind_names
        keys = [escaped.get(name, name) for name in order]
        return (lambda values: dict(zip(keys, make(values), strict=True))), None
    count = len(names)
    leading = all(index == at and process is None for at, (index, process, _) in enumerate(slots[:count]))
    if leading and all(index is None for index, _, _ in slots[count:]):
        return make, tuple(value for _, _, value in slots[count:])  # the values as given, then constants
    return make, None


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
            processors = prepared.processors = _result_processors(prepared, cursor.description)
        cursor.close()
    except BaseException as error:
        _failed(connection, error, None, None, cursor)
    if processors and rows:
        rows = [_processed(row, processors) for row in rows]
    return rows


def _result_processors(
    prepared: Prepared, description: Sequence[Sequence[Any]]
) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    dialect = prepared.dialect()
    assert dialect is not None  # the connection's, alive
    found = [
        (index, type_.dialect_impl(dialect).result_processor(dialect, column[1]))
        for index, (type_, column) in enumerate(zip(prepared.types, description, strict=True))
    ]
    return tuple((index, process) for index, process in found if process is not None)


def _processed(row: Sequence[Any], processors: tuple[tuple[int, Callable[[Any], Any]], ...]) -> list[Any]:
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
