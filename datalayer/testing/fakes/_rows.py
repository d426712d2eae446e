"""Rows for the fakes: an object's column values, its key, its defaults, its unique-key clashes.

A row is a plain dict of an object's mapped column attributes. Which attributes
those are, which keys are unique and what the primary key is all come from
:mod:`datalayer._mapping`, exactly as for the real helpers.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from sqlalchemy import Column, Table
from sqlalchemy.orm.attributes import instance_dict
from sqlalchemy.schema import ColumnDefault

from ... import _translate
from ..._mapping import UniqueKey, memo, primary_key_attributes, unique_keys
from ...errors import ConflictError, UsageError

if TYPE_CHECKING:
    from sqlalchemy.orm import Mapper

__all__ = [
    "Key",
    "Row",
    "clashes",
    "conflict",
    "key_of",
    "load",
    "prepare",
    "require_key",
    "restore",
    "row_of",
    "values_of",
]

Row: TypeAlias = "dict[str, Any]"
Key: TypeAlias = "tuple[Any, ...]"
T = TypeVar("T")


def _columns(mapper: Mapper[Any]) -> tuple[tuple[str, Column[Any]], ...]:
    """``(attribute name, table column)`` of each column attribute (SQL expressions left out)."""
    return memo(mapper, _table_columns)


def _table_columns(mapper: Mapper[Any]) -> tuple[tuple[str, Column[Any]], ...]:
    found: list[tuple[str, Column[Any]]] = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if isinstance(column, Column):
            found.append((prop.key, column))
    return tuple(found)


def values_of(mapper: Mapper[Any], obj: object) -> Row:
    """The object's current column values (not copied: for comparing)."""
    return {name: getattr(obj, name) for name, _ in _columns(mapper)}


def row_of(mapper: Mapper[Any], obj: object) -> Row:
    """The object's current column values, copied: what a store keeps."""
    return copy.deepcopy(values_of(mapper, obj))


def key_of(mapper: Mapper[Any], values: Row) -> Key:
    """The primary key of a row (or of :func:`values_of` an object)."""
    return tuple(values[name] for name in primary_key_attributes(mapper))


def load(mapper: Mapper[Any], row: Row) -> Any:
    """A new object holding ``row``, built as SQLAlchemy loads one: ``__init__`` is not called."""
    obj = mapper.class_manager.new_instance()
    restore(obj, row)
    return obj


def restore(obj: object, row: Row) -> None:
    """Set the object's column attributes back to ``row`` (copied)."""
    for name, value in copy.deepcopy(row).items():
        setattr(obj, name, value)


def prepare(mapper: Mapper[Any], obj: object, counters: dict[Mapper[Any], int]) -> None:
    """Fill in what an INSERT would: scalar Python-side defaults, then an autoincrement key.

    A default applies to an attribute never set on the object. An autoincrement
    key left None takes the next value of ``counters[mapper]``, which an explicit
    key moves past, as SQLite's and MariaDB's counters do. Check the key with
    :func:`require_key` once relationships have filled in their foreign keys.
    """
    given = instance_dict(obj)
    for name, column in _columns(mapper):
        default = column.default
        if name not in given and isinstance(default, ColumnDefault) and default.is_scalar:
            setattr(obj, name, copy.deepcopy(default.arg))
    table = mapper.local_table
    serial = table.autoincrement_column if isinstance(table, Table) else None
    if serial is not None:
        name = mapper.get_property_by_column(serial).key
        if getattr(obj, name) is None:
            counters[mapper] = counters.get(mapper, 0) + 1
            setattr(obj, name, counters[mapper])
        elif isinstance(getattr(obj, name), int):
            counters[mapper] = max(counters.get(mapper, 0), getattr(obj, name))


def require_key(mapper: Mapper[Any], obj: object) -> None:
    """Raise UsageError when the object's primary key is incomplete after :func:`prepare`."""
    if None in key_of(mapper, values_of(mapper, obj)):
        raise UsageError(
            f"{mapper.class_.__name__} needs its primary key given: the fake assigns only "
            "single-column integer autoincrement keys"
        )


def clashes(mapper: Mapper[Any], values: Row, others: Iterable[tuple[T, Row]]) -> list[tuple[UniqueKey, T]]:
    """Each unique key on which ``values`` equal one of ``others``, with the first such other.

    As in SQL, a NULL in a unique key (other than the primary key) never clashes.
    """
    others = list(others)
    found: list[tuple[UniqueKey, T]] = []
    for key in unique_keys(mapper):
        wanted = [values[name] for name in key.attributes]
        if not key.primary and any(value is None for value in wanted):
            continue
        for other, other_values in others:
            if [other_values[name] for name in key.attributes] == wanted:
                found.append((key, other))
                break
    return found


def conflict(mapper: Mapper[Any], key: UniqueKey) -> ConflictError:
    """The error for a write that the unique ``key`` rejected."""
    what = f"the write of {mapper.class_.__name__} on {', '.join(key.attributes)}: roll the unit back first"
    return _translate.conflict(key.name, what)
