"""Looking at mapped classes: the mapper, its synonyms, its unique keys.

What is worked out once per model is kept on the mapper itself (:func:`memo`):
a module-level cache would keep every model class, and its Database, alive.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import Column, Table, UniqueConstraint
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.exc import UnmappedColumnError
from sqlalchemy.sql.elements import ClauseElement

from .errors import UnmappedClassError, UsageError

__all__ = [
    "UniqueKey",
    "canonical",
    "is_sql",
    "mapper_of",
    "memo",
    "primary_key_attributes",
    "synonym_targets",
    "unique_keys",
]

T = TypeVar("T")
_CACHE = "_datalayer_cache"


def mapper_of(model: object) -> Mapper[Any]:
    """The mapper of ``model``, or :class:`UnmappedClassError` if it is not a mapped class."""
    if not isinstance(model, type):
        raise UnmappedClassError(model)
    mapper: Mapper[Any] | None = sa_inspect(model, raiseerr=False)
    if mapper is None:
        raise UnmappedClassError(model)
    return mapper


def memo(mapper: Mapper[Any], build: Callable[..., T], *args: Hashable) -> T:
    """``build(mapper, *args)``, worked out once per mapper and ``args`` and kept on the mapper.

    The cache lives and dies with the mapper (and so with its class), unlike a
    module-level cache, which would keep every model class ever used alive.
    """
    cache: dict[Hashable, Any] | None = mapper.__dict__.get(_CACHE)
    if cache is None:
        cache = cast("dict[Hashable, Any]", mapper.__dict__.setdefault(_CACHE, {}))
    key = (build, args)
    try:
        return cast("T", cache[key])
    except KeyError:
        value = cache[key] = build(mapper, *args)
        return value


def is_sql(value: object) -> bool:
    """Whether ``value`` is a SQL expression (rendered into a statement), not a value to bind."""
    return isinstance(value, ClauseElement) or hasattr(value, "__clause_element__")


def synonym_targets(mapper: Mapper[Any]) -> dict[str, str]:
    """Each synonym's name and the attribute it stands for (through synonyms of synonyms)."""
    return memo(mapper, _synonym_targets)


def _synonym_targets(mapper: Mapper[Any]) -> dict[str, str]:
    direct = {prop.key: prop.name for prop in mapper.synonyms}
    targets: dict[str, str] = {}
    for key, name in direct.items():
        seen = {key}
        while name in direct and name not in seen:
            seen.add(name)
            name = direct[name]
        targets[key] = name
    return targets


def canonical(mapper: Mapper[Any], attrs: Mapping[str, Any]) -> dict[str, Any]:
    """``attrs`` with each synonym replaced by the attribute it stands for, to match against keys.

    A synonym and its attribute given together is a :class:`UsageError`.
    """
    targets = synonym_targets(mapper)
    if not targets:
        return dict(attrs)
    found: dict[str, Any] = {}
    for name, value in attrs.items():
        target = targets.get(name, name)
        if target in found:
            raise UsageError(
                f"{mapper.class_.__name__}.{name} and the attribute it stands for were both given: "
                f"give {target} once"
            )
        found[target] = value
    return found


def primary_key_attributes(mapper: Mapper[Any]) -> tuple[str, ...]:
    """The attribute names of the primary key columns, in key order."""
    return memo(mapper, _primary_key_attributes)


def _primary_key_attributes(mapper: Mapper[Any]) -> tuple[str, ...]:
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)


class UniqueKey(NamedTuple):
    """One unique key (primary key, unique constraint or unique index) of a mapped table."""

    name: str | None
    table: str
    columns: tuple[str, ...]
    attributes: tuple[str, ...]
    primary: bool


def unique_keys(mapper: Mapper[Any]) -> tuple[UniqueKey, ...]:
    """Every unique key of the mapped table whose columns are all mapped (worked out once per mapper).

    The primary key comes first, then unique constraints and unique indexes in
    their declared order.
    """
    return memo(mapper, _unique_keys)


def _unique_keys(mapper: Mapper[Any]) -> tuple[UniqueKey, ...]:
    table = mapper.local_table
    if not isinstance(table, Table):
        return ()
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
    return tuple(keys)


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
