"""After a unique violation: find the row that holds the key, or say why it cannot be had."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapper

from .. import _error_codes as _codes
from .._backends import backend
from .._mapping import UniqueKey, canonical, is_sql, memo, unique_keys
from .._session_like import SessionLike
from ..errors import ConflictError, StaleConflictError
from .pipelined import IN_SAVEPOINT

__all__ = ["existing_row", "uncovered"]

M = TypeVar("M")


def existing_row(
    session: SessionLike,
    model: type[M],
    mapper: Mapper[Any],
    attrs: dict[str, Any],
    exc: IntegrityError | None,
) -> M:
    """The row whose unique key made the insert of ``attrs`` fail, read by that key.

    Raises :class:`ConflictError` when the conflicting key is not among ``attrs``
    (the row cannot be found from them), and :class:`StaleConflictError` when the
    row exists but this transaction cannot see it.
    """
    attrs = canonical(mapper, attrs)  # a synonym matches the key of the attribute it stands for
    dialect = session.get_bind(mapper=mapper).dialect
    name = _codes.constraint_name(exc.orig) if exc is not None else None
    keys = unique_keys(mapper)
    identified = [key for key in keys if name is not None and name in _names(dialect, key)]
    covered = [key for key in identified or keys if set(key.attributes) <= attrs.keys()]
    locking = backend(dialect).locking_reread
    for key in covered:
        values = [attrs[attr] for attr in key.attributes]
        if any(is_sql(value) for value in values):
            # A SQL expression is compared as itself, rendered into the statement.
            stmt = _reread(mapper, key.attributes, (False,) * len(values), locking, inline=values)
            params = {}
        else:
            shape = tuple(value is None for value in values)
            stmt = memo(mapper, _reread, key.attributes, shape, locking)
            named = zip(key.attributes, values, strict=True)
            params = {f"dl_{attr}": value for attr, value in named if value is not None}
        found: M | None = session.scalars(stmt, params).first()
        if found is not None:
            return found
    if covered and _may_be_hidden(dialect, identified, keys, attrs):
        raise StaleConflictError(
            f"{model.__name__} with {_describe(covered, attrs)} already exists but this transaction "
            "cannot see it (snapshot isolation or a concurrent delete): retry the unit of work",
            constraint=name,
        ) from exc
    raise uncovered(model, attrs, name) from exc


def _reread(
    mapper: Mapper[Any],
    attributes: tuple[str, ...],
    nulls: tuple[bool, ...],
    locking: bool,
    inline: list[Any] | None = None,
) -> Select[Any]:
    """The re-read by one key, built once per model, key and NULL shape; its values are bound.

    ``inline``: the values to render into the statement instead (SQL expressions).
    """
    values: list[Any] = inline if inline is not None else [bindparam(f"dl_{attr}") for attr in attributes]
    criteria = [
        mapper.columns[attr].is_(None) if is_null else mapper.columns[attr] == value
        for attr, is_null, value in zip(attributes, nulls, values, strict=True)
    ]
    stmt = select(mapper).where(*criteria)
    if locking:
        stmt = stmt.with_for_update(read=True)
    # Where the driver can, the re-read runs inside a SAVEPOINT sent in the same round
    # trip: a value the INSERT took may still fail the comparison (PostgreSQL would
    # then abort the caller's whole transaction).
    return stmt.order_by(*mapper.primary_key).limit(1).execution_options(**{IN_SAVEPOINT: True})


def uncovered(model: type[Any], attrs: dict[str, Any], constraint: str | None) -> ConflictError:
    """The error of a create_or_first whose conflicting key ``attrs`` do not cover."""
    return ConflictError(
        f"{model.__name__} conflicts on a unique key that the given attributes "
        f"({', '.join(sorted(attrs))}) do not cover, so the existing row cannot be read back",
        constraint=constraint,
    )


def _names(dialect: Dialect, key: UniqueKey) -> tuple[str, ...]:
    implicit = backend(dialect).implicit_constraint_name(dialect, key.table, key.columns, key.primary)
    return tuple(name for name in (key.name, implicit) if name is not None)


def _may_be_hidden(
    dialect: Dialect, identified: list[UniqueKey], keys: tuple[UniqueKey, ...], attrs: dict[str, Any]
) -> bool:
    """Whether a missed re-read can mean a hidden row rather than a key ``attrs`` do not hold."""
    if backend(dialect).reread_sees_latest:
        return False  # the row is visible and locked: the conflict was on another key
    if identified:
        return True
    return all(set(key.attributes) <= attrs.keys() for key in keys if not key.primary)


def _describe(keys: list[UniqueKey], attrs: dict[str, Any]) -> str:
    return " or ".join(", ".join(f"{attr}={attrs[attr]!r}" for attr in key.attributes) for key in keys)
