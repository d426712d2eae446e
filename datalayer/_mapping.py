"""Looking at mapped classes: the mapper, its attribute names, its unique keys."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from typing import Any, NamedTuple

import attrs
from sqlalchemy import Column, Table, UniqueConstraint
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.exc import UnmappedColumnError

from .errors import UnknownAttributeError, UnmappedClassError, ValueTooLongError

__all__ = [
    "UniqueKey",
    "check_attributes",
    "check_lengths",
    "mapper_of",
    "primary_key_attributes",
    "unique_keys",
]


def mapper_of(model: object) -> Mapper[Any]:
    """The mapper of ``model``, or :class:`UnmappedClassError` if it is not a mapped class."""
    if not isinstance(model, type):
        raise UnmappedClassError(model)
    mapper: Mapper[Any] | None = sa_inspect(model, raiseerr=False)
    if mapper is None:
        raise UnmappedClassError(model)
    return mapper


def check_attributes(mapper: Mapper[Any], attrs: Mapping[str, Any], *, constructor: bool = False) -> None:
    """Refuse any name in ``attrs`` that is not a mapped attribute of the class.

    With ``constructor``, the names are for building an object, and an attrs
    class's ``__init__`` arguments that are not mapped are accepted too.
    """
    known = mapper.all_orm_descriptors
    for name in attrs:
        if name not in known and not (constructor and name in _init_arguments(mapper.class_)):
            matches = difflib.get_close_matches(name, list(known.keys()), n=1)
            raise UnknownAttributeError(mapper.class_, name, matches[0] if matches else None)


def check_lengths(mapper: Mapper[Any], attrs: Mapping[str, Any]) -> None:
    """Refuse a string longer than its column's ``String(length)``."""
    columns = mapper.columns
    for name, value in attrs.items():
        if isinstance(value, str) and name in columns:
            length = getattr(columns[name].type, "length", None)
            if isinstance(length, int) and len(value) > length:
                raise ValueTooLongError(mapper.class_, name, length, len(value))


def _init_arguments(cls: type[Any]) -> frozenset[str]:
    if not attrs.has(cls):
        return frozenset()
    return frozenset(field.alias for field in attrs.fields(cls) if field.init)


@functools.cache
def primary_key_attributes(mapper: Mapper[Any]) -> tuple[str, ...]:
    """The attribute names of the primary key columns, in key order."""
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)


class UniqueKey(NamedTuple):
    """One unique key (primary key, unique constraint or unique index) of a mapped table."""

    name: str | None
    table: str
    columns: tuple[str, ...]
    attributes: tuple[str, ...]
    primary: bool


def unique_keys(mapper: Mapper[Any]) -> list[UniqueKey]:
    """Every unique key of the mapped table whose columns are all mapped.

    The primary key comes first, then unique constraints and unique indexes in
    their declared order.
    """
    table = mapper.local_table
    if not isinstance(table, Table):
        return []
    found: list[tuple[str | None, tuple[Column[Any], ...], bool]] = [
        (_name(table.primary_key.name), tuple(table.primary_key.columns), True)
    ]
    found += [
        (_name(constraint.name), tuple(constraint.columns), False)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    found += [
        (_name(index.name), tuple(index.columns), False)
        for index in sorted(table.indexes, key=lambda index: str(index.name))
        if index.unique
    ]
    keys: list[UniqueKey] = []
    for name, columns, primary in found:
        attributes = _attribute_names(mapper, columns)
        if attributes and all(key.attributes != attributes for key in keys):
            keys.append(UniqueKey(name, table.name, tuple(c.name for c in columns), attributes, primary))
    return keys


def _name(name: object) -> str | None:
    return name if isinstance(name, str) else None


def _attribute_names(mapper: Mapper[Any], columns: tuple[Column[Any], ...]) -> tuple[str, ...]:
    names: list[str] = []
    for column in columns:
        try:
            names.append(mapper.get_property_by_column(column).key)
        except UnmappedColumnError:
            return ()
    return tuple(names)
