"""A view's statement prepared once per dialect for the raw path: its SQL, parameters and processors.

The SQL is compiled as SQLAlchemy compiles it for execution; the parameters are
put in the order the SQL takes them, each through the bind processor SQLAlchemy
would apply (``TypeEngine.dialect_impl(dialect).bind_processor``), constants
included; the columns' result processors are those SQLAlchemy picks for the types
the cursor describes, taken once, at the first execution. Statements that only
SQLAlchemy's execution can send (async drivers, drivers that need input sizes,
server-side cursors by default, parameters rendered at execution) get no SQL.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import attrs
from sqlalchemy.engine import BindTyping, Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from ._listeners import Watched

__all__ = ["Params", "Prepared", "Processors", "prepare", "result_processors"]

Params = Callable[[tuple[Any, ...]], Any]
Processors = tuple[tuple[int, Callable[[Any], Any]], ...]


@attrs.define(eq=False)
class Prepared:
    """A plan's statement for one dialect: its SQL and parameters, or no SQL (SQLAlchemy's execution)."""

    dialect: weakref.ReferenceType[Dialect]
    sql: str | None = None
    params: Params | None = None
    tail: tuple[Any, ...] | None = None
    """The parameters' constants, when the values given come first as they are (then ``params`` is unused)."""
    types: tuple[Any, ...] = ()
    processors: Processors | None = None
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


def result_processors(prepared: Prepared, description: Sequence[Sequence[Any]]) -> Processors:
    """The result processors of ``prepared``'s columns, by position, for the types ``description`` gives."""
    dialect = prepared.dialect()
    assert dialect is not None  # the connection's, alive
    found = [
        (index, type_.dialect_impl(dialect).result_processor(dialect, column[1]))
        for index, (type_, column) in enumerate(zip(prepared.types, description, strict=True))
    ]
    return tuple((index, process) for index, process in found if process is not None)
