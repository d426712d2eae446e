"""String lengths: a value longer than its column's ``String(length)`` is refused before anything is sent.

Servers cut an over-long value's trailing whitespace without an error (or store
it whole, as SQLite does): the helpers measure what they are given, and every
flush of a datalayer Session measures what it is about to send.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlalchemy import Enum
from sqlalchemy.orm import InstanceState, Mapper

from ._mapping import memo, synonym_targets
from .errors import ValueTooLongError

__all__ = ["Limit", "check_lengths", "check_state", "limits_of", "too_long"]


class Limit(NamedTuple):
    """The length of a ``String(length)`` column, and what its Enum accepts whatever its length."""

    length: int
    enum_forms: frozenset[object]  # what an Enum column accepts and stores in its own form


def check_lengths(mapper: Mapper[Any], attrs: Mapping[str, Any]) -> None:
    """Refuse a string longer than its column's ``String(length)``; synonyms are measured too.

    An ``Enum`` column stores a member (or a string naming one) as the member's
    name (its value with ``values_callable``), which always fits: it is never
    measured by what ``str()`` of the member says.
    """
    limits = limits_of(mapper)
    if not limits:
        return
    for name, value in attrs.items():
        limit = limits.get(name)
        if limit is not None and too_long(limit, value):
            raise ValueTooLongError(mapper.class_, name, limit.length, len(value))


def check_state(state: InstanceState[Any], *, changed_only: bool) -> None:
    """Refuse an object whose measured attributes hold a string too long for their columns.

    ``changed_only``: measure only what changed since the object was loaded (a
    dirty object; a new one is measured whole).
    """
    mapper = state.mapper
    limits = memo(mapper, _limits)
    if not limits:
        return
    values = state.dict
    for name, limit in limits.items():
        value = values.get(name)
        # Run before every flush: the common case (no string, or a short one) costs one test.
        if type(value) is str and len(value) <= limit.length:
            continue
        if value is not None and too_long(limit, value):
            if changed_only and not state.attrs[name].history.added:
                continue
            raise ValueTooLongError(mapper.class_, name, limit.length, len(value))


def too_long(limit: Limit, value: Any) -> bool:
    """Whether ``value`` is a string longer than ``limit`` allows (never an Enum's member or name)."""
    return (
        isinstance(value, str)
        and len(value) > limit.length
        and not isinstance(value, enum.Enum)
        and value not in limit.enum_forms
    )


def limits_of(mapper: Mapper[Any]) -> dict[str, Limit]:
    """The measured attributes of ``mapper`` (synonyms too) and their limits, worked out once."""
    return memo(mapper, _limits)


def _limits(mapper: Mapper[Any]) -> dict[str, Limit]:
    limits: dict[str, Limit] = {}
    for prop in mapper.column_attrs:
        type_ = prop.columns[0].type
        length = getattr(type_, "length", None)
        if isinstance(length, int):
            forms: frozenset[object] = frozenset()
            if isinstance(type_, Enum):
                forms = frozenset([*type_.enums, *(type_.enum_class or ())])
            limits[prop.key] = Limit(length, forms)
    for name, target in synonym_targets(mapper).items():
        if target in limits:
            limits[name] = limits[target]
    return limits
