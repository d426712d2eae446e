"""The rows of an upsert, checked before anything is sent; shared by the real helpers and the fake."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from operator import itemgetter
from typing import Any

from sqlalchemy.orm import Mapper

from .._bulk_rows import check_columns
from .._lengths import check_lengths
from .._mapping import canonical, is_sql
from ..errors import UsageError
from .plan import Plan, match_names, plan_for

__all__ = ["check_match_values", "checked_row", "checked_rows", "match_key"]


def checked_row(
    mapper: Mapper[Any], values: Mapping[str, Any], match: object, helper: str
) -> tuple[Plan, dict[str, Any]]:
    """The plan and the row (canonical names) of an upsert of one row, checked before anything is sent.

    The names and the match key (:func:`plan_for`), the strings' lengths, no NULL
    among the match values.
    """
    plan = plan_for(mapper, tuple(values), match_names(match), helper)
    check_lengths(mapper, values)
    row = canonical(mapper, values)
    check_match_values(mapper, plan, row)
    return plan, row


def checked_rows(
    mapper: Mapper[Any], rows: Iterable[Mapping[str, Any]], match: object, helper: str
) -> tuple[Plan, list[dict[str, Any]]]:
    """The plan and the rows (canonical names) of an upsert_many, checked before anything is sent.

    Every row gives the same names, plain values (no SQL expressions) that fit
    their columns (:func:`check_columns`), no NULL among the match values and no
    match key another row gives. A refusal names the row's index.
    """
    wanted = match_names(match)
    given = [dict(row) for row in rows]
    names = tuple(given[0]) if given else wanted
    plan = plan_for(mapper, names, wanted, helper)
    expected = set(names)
    for index, row in enumerate(given):
        if row.keys() != expected:
            raise UsageError(
                f"{helper}({mapper.class_.__name__}): row {index} gives {', '.join(sorted(row))}, row 0 "
                f"gives {', '.join(sorted(names))}: every row must set the same attributes"
            )
        sql = next((name for name, value in row.items() if is_sql(value)), None)
        if sql is not None:
            raise UsageError(
                f"{helper}({mapper.class_.__name__}): row {index} gives {sql} as a SQL expression, which a "
                "batch cannot bind: upsert() that row on its own"
            )
    check_columns(mapper, {name: itemgetter(name) for name in names}, given, helper)
    seen: dict[Hashable, int] = {}
    checked: list[dict[str, Any]] = []
    for index, row in enumerate(given):
        row = canonical(mapper, {name: row[name] for name in names})
        check_match_values(mapper, plan, row, f" (row {index})")
        key = match_key(plan, row)
        if key is not None and seen.setdefault(key, index) != index:
            raise UsageError(
                f"{helper}({mapper.class_.__name__}): rows {seen[key]} and {index} hold the same match key: "
                "give each key once (PostgreSQL refuses to update a row twice in one statement)"
            )
        checked.append(row)
    return plan, checked


def check_match_values(mapper: Mapper[Any], plan: Plan, row: Mapping[str, Any], where: str = "") -> None:
    """Refuse a NULL among the match values of ``row`` (canonical names): NULLs never conflict."""
    for name in plan.match_attributes:
        if row[name] is None:
            raise UsageError(
                f"upsert({mapper.class_.__name__}) cannot match {name}=None{where}: a NULL never conflicts "
                "with another, so every call would insert a new row"
            )


def match_key(plan: Plan, row: Mapping[str, Any]) -> Hashable | None:
    """The match values of ``row`` (canonical names), or None when they cannot be hashed."""
    key = tuple(row[name] for name in plan.match_attributes)
    try:
        hash(key)
    except TypeError:
        return None
    return key
