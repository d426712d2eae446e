"""The ``after=`` cursor of a keyset page, checked against the primary key's column types."""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Mapper

from ._attributes import check_attributes
from ._mapping import primary_key_attributes
from ._stream import check_count
from .errors import UsageError

__all__ = ["keyset_values", "page_cursor"]


def page_cursor(
    mapper: Mapper[Any], size: object, after: object, attrs: Mapping[str, Any]
) -> tuple[Any, ...] | None:
    """Check the arguments of a ``page``; the primary key values it starts after (None: the beginning).

    Shared by the model's page, the view's and the in-memory fake's, so that all
    refuse the same arguments the same way.
    """
    check_count("size", size)
    check_attributes(mapper, attrs)
    return None if after is None else keyset_values(mapper, after)


def keyset_values(mapper: Mapper[Any], after: object) -> tuple[Any, ...]:
    """The primary key values in ``after`` (one value, or a tuple for a composite key).

    A value of the wrong type for its column is a :class:`UsageError`, raised
    before anything is sent: databases would otherwise fail the statement
    (aborting a PostgreSQL transaction), cast the value (MariaDB reads ``'5abc'``
    as 5) or compare it as is (SQLite returns nothing).
    """
    key = mapper.primary_key
    values: tuple[object, ...] = cast("tuple[object, ...]", after) if isinstance(after, tuple) else (after,)
    if len(values) != len(key):
        raise UsageError(f"after= needs {len(key)} primary key values, got {len(values)}")
    for column, name, value in zip(key, primary_key_attributes(mapper), values, strict=True):
        expected = _python_type(column)
        if value is None or (expected is not None and not _fits(value, expected)):
            wanted = expected.__name__ if expected is not None else "value"
            raise UsageError(
                f"after= has {value!r} for {mapper.class_.__name__}.{name}, which takes a {wanted}: "
                "pass the primary key of the last object of the previous page"
            )
    return values


def _python_type(column: ColumnElement[Any]) -> type[Any] | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def _fits(value: object, expected: type[Any]) -> bool:
    if isinstance(value, bool):
        return expected is bool
    if expected in (float, decimal.Decimal) and isinstance(value, int):
        return True
    return isinstance(value, expected)
