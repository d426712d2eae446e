"""The rows of a ``create_many``: checked before anything is sent, a bad one named by its index.

Shared by both forms of ``create_many``, ``upsert_many`` and the in-memory fake.
Their values are checked column by column (:func:`check_columns`), measuring a
whole column at C speed and looking at single values only when a column holds
something that might not fit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import methodcaller
from typing import Any, TypeVar

from sqlalchemy.orm import Mapper
from sqlalchemy.sql.elements import ClauseElement

from ._attributes import check_insertable
from ._lengths import limits_of, too_long
from ._mapping import canonical, is_sql, synonym_targets
from .errors import DatalayerError, UnsupportedAttributeError, ValueTooLongError

__all__ = ["check_columns", "check_names", "checked_values", "in_row", "insert_rows"]

E = TypeVar("E", bound=BaseException)
_CREATE_MANY = "create_many"


def in_row(error: E, index: int, helper: str) -> E:
    """``error``, its message saying it is about row ``index`` (from 0) of ``helper`` (``create_many``...)."""
    first, *rest = error.args or ("",)
    error.args = (f"row {index} of {helper}: {first}", *rest)
    return error


def insert_rows(mapper: Mapper[Any], rows: Iterable[Mapping[str, Any]], /) -> list[dict[str, Any]]:
    """The rows of a ``create_many``, checked before anything is written, synonyms made their columns.

    Every name must be insertable (:func:`check_insertable`) and every string
    fit its column (as :func:`~datalayer._lengths.check_lengths` measures, a column
    at a time); a refusal names the row's index.
    """
    given = list(map(dict, rows))
    return checked_values(mapper, check_names(mapper, given), given)


def checked_values(mapper: Mapper[Any], names: set[str], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows``, whose ``names`` :func:`check_names` checked, their values checked; synonyms made columns.

    The values are checked a column at a time (:func:`check_columns`); a refusal names the row's index.
    """
    check_columns(mapper, {name: methodcaller("get", name) for name in names}, rows, _CREATE_MANY)
    if names.isdisjoint(synonym_targets(mapper)):
        return rows
    checked: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        try:
            checked.append(canonical(mapper, row))
        except DatalayerError as error:
            raise in_row(error, index, _CREATE_MANY) from None
    return checked


def check_names(mapper: Mapper[Any], rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Every name the ``rows`` give, each checked once; a refusal names the first row giving it."""
    names = set[str]().union(*rows)
    try:
        check_insertable(mapper, sorted(names))
    except DatalayerError as error:
        bad = getattr(error, "attribute", None)
        index = next((i for i, row in enumerate(rows) if bad in row), 0)
        raise in_row(error, index, _CREATE_MANY) from None
    return names


def check_columns(
    mapper: Mapper[Any], getters: Mapping[str, Callable[[Any], Any]], rows: Sequence[Any], helper: str
) -> list[set[type]]:
    """Check each named column of the ``helper``'s ``rows``; the types of its values, in ``getters``' order.

    ``getters[name]`` reads a row's value (None when missing). A SQL expression
    is refused (``create_many`` and ``upsert_many`` send values), and so is a
    string too long for its column (as :func:`~datalayer._lengths.check_lengths`
    measures it), each naming the first row that holds one and the ``helper``.
    """
    limits = limits_of(mapper)
    kinds: list[set[type]] = []
    for name, get in getters.items():
        found: set[type] = set(map(type, map(get, rows)))  # C speed, as the lengths below
        kinds.append(found)
        if any(_sql_type(kind) for kind in found):
            index = next(i for i, value in enumerate(map(get, rows)) if is_sql(value))
            one = helper.removesuffix("_many")
            problem = f"is given a SQL expression: {helper} sends values only; {one}() each row instead"
            raise in_row(UnsupportedAttributeError(mapper.class_, name, problem), index, helper)
        limit = limits.get(name)
        if limit is None:
            continue
        try:
            longest = max(map(len, map(get, rows)), default=0)
        except TypeError:  # None, numbers...: look at each value
            longest = limit.length + 1
        if longest <= limit.length:
            continue
        for index, value in enumerate(map(get, rows)):
            if value is not None and too_long(limit, value):
                error = ValueTooLongError(mapper.class_, name, limit.length, len(value))
                raise in_row(error, index, helper)
    return kinds


def _sql_type(kind: type[object]) -> bool:
    """Whether values of ``kind`` are SQL expressions (rendered into a statement, never sent as values)."""
    return issubclass(kind, ClauseElement) or hasattr(kind, "__clause_element__")
