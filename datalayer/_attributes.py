"""Which names a helper can use, and how: to filter by, to build an object with, to bulk insert.

Every refusal happens before anything is sent to the database, and names the
attribute and what to give instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

import attrs
from sqlalchemy import Column, ColumnElement
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import (
    ColumnProperty,
    Mapper,
    RelationshipDirection,
    RelationshipProperty,
    SynonymProperty,
)

from ._mapping import memo, synonym_targets
from .errors import UnknownAttributeError, UnsupportedAttributeError, UsageError

__all__ = ["check_attributes", "check_insertable", "require_attributes"]

_EACH_ROW = "create() each row instead"


def check_attributes(
    mapper: Mapper[Any], attrs: Mapping[str, Any], *, filters: bool = True, builds: bool = False
) -> None:
    """Refuse any name in ``attrs`` that cannot be used as asked.

    ``filters``: each name is compared to its value in SQL. ``builds``: each
    name is a constructor argument; an attrs class's ``__init__`` arguments that
    are not mapped are accepted too (unless the names also filter).
    """
    # One lookup for the names a call site gives together; only usable names are
    # remembered that way, so unknown names from outside never fill the cache.
    memo(mapper, _all_usable, tuple(attrs), filters, builds)


def _all_usable(mapper: Mapper[Any], names: tuple[str, ...], filters: bool, builds: bool) -> bool:
    for name in names:
        problem = memo(mapper, _problem, name, filters, builds)
        if problem is not None:
            raise problem()  # a new error each time: a cached one would keep its tracebacks
    return True


def _problem(mapper: Mapper[Any], name: str, filters: bool, builds: bool) -> Callable[[], Exception] | None:
    model = mapper.class_
    known = mapper.all_orm_descriptors
    if name not in known:
        if builds and not filters and name in _init_arguments(model):
            return None
        matches = difflib.get_close_matches(name, list(known.keys()), n=1)
        return partial(UnknownAttributeError, model, name, matches[0] if matches else None)
    descriptor = known[name]
    settable = getattr(descriptor, "fset", None) is not None  # read before isinstance() narrows it
    prop = mapper.attrs.get(name)
    if isinstance(descriptor, hybrid_method):
        return partial(
            UnsupportedAttributeError, model, name, "is a hybrid method: call it in a select() instead"
        )
    if isinstance(descriptor, hybrid_property):
        if filters and not _has_expression(model, name):
            return partial(
                UnsupportedAttributeError,
                model,
                name,
                "is a hybrid property with no SQL expression, so it cannot filter: give it an "
                "@expression, or filter on the columns it is made of",
            )
        if builds and not settable:
            return partial(
                UnsupportedAttributeError,
                model,
                name,
                "is a hybrid property without a setter: give the columns it is made of",
            )
    elif isinstance(prop, RelationshipProperty) and filters and prop.uselist:
        return partial(
            UnsupportedAttributeError,
            model,
            name,
            f"is a collection: filter with select().where({model.__name__}.{name}.any(...))",
        )
    elif isinstance(prop, ColumnProperty) and builds and not _is_table_column(prop):
        return partial(
            UnsupportedAttributeError, model, name, "is a read-only SQL expression: it cannot be set"
        )
    return None


def require_attributes(helper: str, mapper: Mapper[Any], attrs: Mapping[str, Any]) -> None:
    """Refuse a ``first_or_create`` or ``create_or_first`` call with no attributes.

    With none there is no key to look the row up by: ``first_or_create`` would
    return any row at all, ``create_or_first`` could never find the row it
    conflicts with.
    """
    if not attrs:
        raise UsageError(
            f"{helper}({mapper.class_.__name__}) needs attributes: with none it has no key to find "
            "the existing row by; give the unique key's values, or call create() for a row of defaults"
        )


def _has_expression(model: type[Any], name: str) -> bool:
    try:
        expression = getattr(model, name)
    except Exception:  # the getter ran on the class, not an instance: it has no SQL form
        return False
    return isinstance(expression, ColumnElement) or hasattr(expression, "__clause_element__")


def _is_table_column(prop: ColumnProperty[Any]) -> bool:
    return all(isinstance(column, Column) for column in prop.columns)


def _init_arguments(cls: type[Any]) -> frozenset[str]:
    if not attrs.has(cls):
        return frozenset()
    return frozenset(field.alias for field in attrs.fields(cls) if field.init)


def check_insertable(
    mapper: Mapper[Any], names: Iterable[str], *, helper: str = "create_many", instead: str = _EACH_ROW
) -> None:
    """Refuse any of ``names`` that a bulk INSERT cannot set as ``create()`` would.

    Column attributes are accepted, and synonyms of them (see
    :func:`~datalayer._mapping.canonical`).

    Anything an INSERT of the row's columns cannot set the way ``create()`` does
    (a relationship, a hybrid, a SQL expression, a synonym with its own
    descriptor) is refused with :class:`UnsupportedAttributeError`: never dropped.
    The error names ``helper`` and ends with what to do ``instead``.
    """
    check_attributes(mapper, dict.fromkeys(names), filters=False)
    for name in names:
        memo(mapper, _insert_name, name, helper, instead)


def _insert_name(mapper: Mapper[Any], name: str, helper: str, instead: str) -> str:
    model = mapper.class_
    prop = mapper.attrs.get(name)
    refuse = partial(_refuse, model, name, helper=helper, instead=instead)
    if isinstance(prop, SynonymProperty) and not _plain(prop):
        return refuse("is a synonym with a descriptor of its own", "")
    target = synonym_targets(mapper).get(name, name)
    column = mapper.attrs.get(target)
    if isinstance(column, ColumnProperty) and _is_table_column(column):
        return target
    if isinstance(column, RelationshipProperty) and column.direction is RelationshipDirection.MANYTOONE:
        keys = [mapper.get_property_by_column(local).key for local in column.local_columns]
        return refuse("is a relationship", f"pass {', '.join(f'{key}=' for key in keys)}, or ")
    if isinstance(column, RelationshipProperty):
        what = "is a relationship"
    elif isinstance(column, ColumnProperty):
        what = "is a read-only SQL expression"
    else:
        what = "is not a column"
    return refuse(what, "")


def _plain(synonym: SynonymProperty[Any]) -> bool:
    """Whether setting the synonym sets its attribute as is (SQLAlchemy made its descriptor)."""
    setter = getattr(synonym.descriptor, "fset", None)
    return getattr(setter, "__module__", "") == SynonymProperty.__module__


def _refuse(model: type[Any], name: str, what: str, option: str, *, helper: str, instead: str) -> str:
    raise UnsupportedAttributeError(model, name, f"{what}: {helper} inserts columns only; {option}{instead}")
