"""The upsert's statement: ``INSERT .. ON CONFLICT (key) DO UPDATE`` or ``INSERT .. ON DUPLICATE KEY UPDATE``.

PostgreSQL and SQLite update the row that holds the match key, and only that
one: a conflict on any other unique key fails the statement. MariaDB's
``ON DUPLICATE KEY UPDATE`` fires on whichever unique key conflicts first, so
there every assignment is conditional on the row holding the match key (``<=>``,
the column's own collation, as its unique index compares): a row that conflicts
on another key is left as it was, and ``RETURNING`` says so (``dl_matched``).
MariaDB's RETURNING (10.5+) gives the row as stored after the update.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, literal

from .plan import Plan

__all__ = ["MATCHED", "bound_names", "matched", "upsert_statement"]

MATCHED = "dl_matched"
"""MariaDB: the RETURNING column that says whether the row holds the match key (not another key)."""


def bound_names(plan: Plan) -> dict[Any, Any]:
    """A bind parameter per given column, named by its position: the values of a cached statement."""
    return {column: bindparam(f"dl_{n}", type_=column.type) for n, column in enumerate(plan.columns)}


def upsert_statement(
    target: Any, plan: Plan, insert: Callable[[Any], Any], on_any_key: bool, values: Mapping[Any, Any] | None
) -> Any:
    """``INSERT .. ON CONFLICT / ON DUPLICATE KEY`` of ``values`` (by column; None: given at execution).

    ``target``: the table, or the mapped class for an ORM bulk INSERT. ``insert``
    and ``on_any_key`` are the backend's (``Backend.native_insert``,
    ``Backend.on_duplicate_key``); the caller adds RETURNING. Typed Any: the
    dialects' Insert constructs are untyped.
    """
    statement = insert(target)
    if values is not None:
        statement = statement.values(dict(values))
    onupdate = {column: _onupdate_value(column, arg) for column, arg in plan.onupdate}
    first = plan.match[0]
    if not on_any_key:
        excluded = statement.excluded
        assigned = {column: excluded[column.key] for column in plan.updates} | onupdate
        return statement.on_conflict_do_update(
            index_elements=list(plan.match), set_=assigned or {first: first}
        )
    inserted = statement.inserted
    same = _holds(plan, {column: inserted[column.key] for column in plan.match})
    sets = [(column, inserted[column.key]) for column in plan.updates] + list(onupdate.items())
    # By column key, in order: MariaDB assigns left to right (nothing here reads what another sets).
    assignments: list[tuple[str, Any]] = [
        (column.key, case((same, value), else_=column)) for column, value in sets
    ]
    return statement.on_duplicate_key_update(assignments or [(first.key, first)])


def matched(plan: Plan, values: Mapping[Any, Any]) -> ColumnElement[bool]:
    """MariaDB's :data:`MATCHED` column: whether the returned row holds the match key of ``values``."""
    return _holds(plan, values).label(MATCHED)


def _holds(plan: Plan, values: Mapping[Any, Any]) -> ColumnElement[bool]:
    """Whether the row holds these match values, compared as the unique index compares (``<=>``)."""
    return and_(*(column.is_not_distinct_from(values[column]) for column in plan.match))


def _onupdate_value(column: Any, arg: Any) -> ColumnElement[Any]:
    """A column's Python-side ``onupdate``: its value or SQL expression, or what its function returns now."""
    if isinstance(arg, ColumnElement):
        return arg  # pyright: ignore[reportUnknownVariableType]
    return literal(arg(), column.type)  # a function taking no context (:func:`python_default`)
