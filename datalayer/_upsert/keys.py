"""The unique keys of a table: which can decide an upsert's conflict, and whether others may refuse a row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Column, Index, PrimaryKeyConstraint, Table, UniqueConstraint
from sqlalchemy.schema import ColumnCollectionConstraint

__all__ = ["arbiter", "other_keys"]


def arbiter(table: Table[Any], columns: frozenset[str]) -> bool:
    """Whether a primary key, unique constraint or whole unique index is on exactly ``columns``.

    A partial index (with a WHERE) or one on expressions cannot decide the conflict.
    """
    constraints = [c for c in table.constraints if isinstance(c, PrimaryKeyConstraint | UniqueConstraint)]
    indexes = [index for index in table.indexes if index.unique and _whole(index)]
    return any(_names(found.columns) == columns for found in [*constraints, *indexes])


def other_keys(table: Table[Any], match: frozenset[str], primary_given: bool) -> bool:
    """Whether a unique key but the match may refuse the row: the primary key only when it is given."""
    for constraint in table.constraints:
        counts = isinstance(constraint, UniqueConstraint) or (
            isinstance(constraint, PrimaryKeyConstraint) and primary_given
        )
        if counts and _names(cast("ColumnCollectionConstraint", constraint).columns) != match:
            return True
    return any(
        index.unique and not (_whole(index) and _names(index.columns) == match) for index in table.indexes
    )


def _whole(index: Index) -> bool:
    """A unique index on plain columns, with no WHERE."""
    where = any(value is not None for name, value in index.dialect_kwargs.items() if name.endswith("_where"))
    return not where and all(isinstance(expression, Column) for expression in index.expressions)


def _names(columns: Iterable[Column[Any]]) -> frozenset[str]:
    return frozenset(column.name for column in columns)
