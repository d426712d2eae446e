"""Looking at mapped classes: the mapper, its attribute names, its unique keys."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Column, Table, UniqueConstraint
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.exc import UnmappedColumnError

from .errors import UnknownAttributeError, UnmappedClassError

__all__ = ["check_attributes", "mapper_of", "primary_key_attributes", "unique_keys"]


def mapper_of(model: object) -> Mapper[Any]:
    """The mapper of ``model``, or :class:`UnmappedClassError` if it is not a mapped class."""
    if not isinstance(model, type):
        raise UnmappedClassError(model)
    mapper: Mapper[Any] | None = sa_inspect(model, raiseerr=False)
    if mapper is None:
        raise UnmappedClassError(model)
    return mapper


def check_attributes(mapper: Mapper[Any], attrs: Mapping[str, Any]) -> None:
    """Refuse any name in ``attrs`` that is not a mapped attribute of the class."""
    known = mapper.all_orm_descriptors
    for name in attrs:
        if name not in known:
            matches = difflib.get_close_matches(name, list(known.keys()), n=1)
            raise UnknownAttributeError(mapper.class_, name, matches[0] if matches else None)


@functools.cache
def primary_key_attributes(mapper: Mapper[Any]) -> tuple[str, ...]:
    """The attribute names of the primary key columns, in key order."""
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)


def unique_keys(mapper: Mapper[Any]) -> list[tuple[str | None, tuple[str, ...]]]:
    """``(constraint name, attribute names)`` of every unique key of the mapped table.

    The primary key comes first, then unique constraints and unique indexes in
    their declared order. Keys over columns that are not mapped are left out.
    """
    table = mapper.local_table
    if not isinstance(table, Table):
        return []
    found: list[tuple[str | None, tuple[Column[Any], ...]]] = [
        (_name(table.primary_key.name), tuple(table.primary_key.columns))
    ]
    found += [
        (_name(constraint.name), tuple(constraint.columns))
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    found += [
        (_name(index.name), tuple(c for c in index.columns))
        for index in sorted(table.indexes, key=lambda index: str(index.name))
        if index.unique
    ]
    keys: list[tuple[str | None, tuple[str, ...]]] = []
    for name, columns in found:
        attributes = _attribute_names(mapper, columns)
        if attributes and (name, attributes) not in keys:
            keys.append((name, attributes))
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
