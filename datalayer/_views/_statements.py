"""A view's statements: a SELECT of its fields' columns, built once per kind and filter shape.

Filters on column attributes compare to bound parameters (``IS NULL`` for None),
so that the statement of a shape is built once and only values change; any other
filter the model's helpers accept (a relationship, a hybrid, a SQL expression as
the value) goes through ``filter_by`` in a statement of its own. Either way the
values are bound, never written into the SQL.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
import weakref
from collections.abc import Mapping
from typing import Any, cast

import attrs
from sqlalchemy import Select, bindparam, select, tuple_
from sqlalchemy.engine import Dialect

from .._attributes import check_attributes
from .._mapping import is_sql
from ._declare import ViewSpec

__all__ = ["FIRST", "PAGE", "PLAIN", "ROWS", "Plan", "adhoc", "columns", "plan_for"]

FIRST, ROWS, PAGE = "first", "rows", "page"
"""The kinds of read: the first row (LIMIT 1), every row, a keyset page (LIMIT size, after a key)."""

PLAIN = frozenset(
    {int, bool, str, float, bytes, decimal.Decimal, datetime.date, datetime.datetime, uuid.UUID}
)
"""Types of values bound as they are: any other value is looked at (None? a SQL expression?)."""


@attrs.define(eq=False)
class Plan:
    """One shape's statement and the names of its parameters, in the order their values are given."""

    statement: Select[Any]
    names: tuple[str, ...]
    prepared: Any = None
    """The statement as prepared for the dialect it was last sent to (see ``_prepared``)."""
    by_dialect: weakref.WeakKeyDictionary[Dialect, Any] = attrs.field(
        factory=weakref.WeakKeyDictionary[Dialect, Any]
    )
    """The statement as prepared for each dialect."""


def plan_for(
    spec: ViewSpec, kind: str, attrs: Mapping[str, Any], extra: tuple[Any, ...] = ()
) -> tuple[Plan, tuple[Any, ...]] | None:
    """The plan of this read and the values to bind, or None when a filter needs a statement of its own.

    Unusable names are refused (:func:`~datalayer._attributes.check_attributes`)
    the first time a shape is seen; a known shape costs a dictionary lookup.
    ``extra``: a page's keyset values (none for the first page), then its size.
    """
    values = tuple(attrs.values())
    for value in values:
        if type(value) not in PLAIN:  # None, a SQL expression, an enum member...
            return _unusual(spec, kind, attrs, values, extra)
    plan = spec.plans.get((kind, tuple(attrs), (), len(extra)))
    if plan is None:
        plan = _new(spec, kind, attrs, (), extra)
        if plan is None:
            return None
    return plan, values + extra


def _unusual(
    spec: ViewSpec, kind: str, attrs: Mapping[str, Any], values: tuple[Any, ...], extra: tuple[Any, ...]
) -> tuple[Plan, tuple[Any, ...]] | None:
    if any(value is not None and is_sql(value) for value in values):
        check_attributes(spec.mapper, attrs)
        return None
    nulls = tuple(value is None for value in values)
    nulls = nulls if any(nulls) else ()
    plan = spec.plans.get((kind, tuple(attrs), nulls, len(extra))) or _new(spec, kind, attrs, nulls, extra)
    if plan is None:
        return None
    return plan, tuple(value for value in values if value is not None) + extra


def _new(
    spec: ViewSpec, kind: str, attrs: Mapping[str, Any], nulls: tuple[bool, ...], extra: tuple[Any, ...]
) -> Plan | None:
    """The plan of a shape not seen yet, remembered; None when a name is not a column (filter_by's)."""
    check_attributes(spec.mapper, attrs)
    if not all(name in spec.mapper.columns for name in attrs):
        return None  # a relationship, a hybrid...
    names = tuple(attrs)
    keyset = len(extra) - (kind == PAGE)
    plan = _plan(spec, kind, names, nulls or (False,) * len(names), keyset)
    spec.plans[(kind, names, nulls, len(extra))] = plan
    return plan


def _plan(spec: ViewSpec, kind: str, names: tuple[str, ...], nulls: tuple[bool, ...], keyset: int) -> Plan:
    columns = spec.mapper.columns
    criteria = [
        columns[name].is_(None) if null else columns[name] == bindparam(f"dl_{index}")
        for index, (name, null) in enumerate(zip(names, nulls, strict=True))
    ]
    bound = [f"dl_{index}" for index, null in enumerate(nulls) if not null]
    statement = _select(spec).where(*criteria)
    if keyset:
        key = spec.mapper.primary_key
        values = [bindparam(f"dl_after_{index}", type_=column.type) for index, column in enumerate(key)]
        statement = statement.where(key[0] > values[0] if keyset == 1 else tuple_(*key) > tuple_(*values))
        bound += [value.key for value in values]
    if kind == FIRST:
        statement = statement.limit(1)
    elif kind == PAGE:
        statement = statement.limit(bindparam("dl_size"))
        bound.append("dl_size")
    return Plan(statement, tuple(bound))


def adhoc(spec: ViewSpec, kind: str, attrs: Mapping[str, Any], extra: tuple[Any, ...] = ()) -> Select[Any]:
    """The statement of a read whose filters :func:`plan_for` cannot cache: ``filter_by``, values bound."""
    statement = _select(spec).filter_by(**attrs)
    if kind == PAGE:
        *keyset, size = extra
        key = spec.mapper.primary_key
        if keyset:
            statement = statement.where(
                key[0] > keyset[0] if len(key) == 1 else tuple_(*key) > tuple_(*keyset)
            )
        return statement.limit(size)
    return statement.limit(1) if kind == FIRST else statement


def columns(spec: ViewSpec) -> Select[Any]:
    """A SELECT of the view's columns, through the model's attributes (which inheritance needs)."""
    model = spec.model
    return cast("Select[Any]", select(*(getattr(model, name) for name in spec.fields)))


def _select(spec: ViewSpec) -> Select[Any]:
    return columns(spec).order_by(*spec.mapper.primary_key)
