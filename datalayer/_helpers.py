"""The one implementation of the session helpers.

Each helper is a function of ``(session, Model, **attrs)``: it works on any
SQLAlchemy session (ours, the scoped proxy, one made by another framework), and
the :class:`~datalayer.Session` methods, the scoped ``db.s`` and the repositories
are one-line fronts over it. Helpers flush, never commit.
"""

from __future__ import annotations

from typing import Any, TypeVar, Union

from sqlalchemy import func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapper, Session, scoped_session

from . import _dialects
from ._mapping import check_attributes, mapper_of, primary_key_attributes, unique_keys
from .errors import ConflictError, StaleConflictError

__all__ = [
    "SessionLike",
    "count",
    "create",
    "create_or_first",
    "exists",
    "find_all",
    "first",
    "first_or_create",
]

M = TypeVar("M")
SessionLike = Union[Session, "scoped_session[Any]"]


def find_all(session: SessionLike, model: type[M], /, **attrs: Any) -> list[M]:
    """Every ``model`` row whose attributes equal ``attrs``, ordered by primary key."""
    mapper = _checked(model, attrs)
    stmt = select(model).filter_by(**attrs).order_by(*mapper.primary_key)
    return list(session.scalars(stmt))


def first(session: SessionLike, model: type[M], /, **attrs: Any) -> M | None:
    """The ``model`` row with the lowest primary key among those matching ``attrs``, or None."""
    return _first(session, model, _checked(model, attrs), attrs)


def create(session: SessionLike, model: type[M], /, **attrs: Any) -> M:
    """Build ``model(**attrs)``, add it and flush; never commits."""
    _checked(model, attrs)
    obj = model(**attrs)
    session.add(obj)
    session.flush()
    return obj


def create_or_first(session: SessionLike, model: type[M], /, **attrs: Any) -> M:
    """Insert ``model(**attrs)``; on a unique violation return the row that holds the key.

    The insert runs inside a SAVEPOINT, so a conflict undoes that insert alone:
    the caller's other flushed and pending work is kept. Only unique violations
    count as "exists"; any other error propagates unchanged. Flushes, never
    commits.
    """
    return _create_or_first(session, model, _checked(model, attrs), attrs)


def first_or_create(session: SessionLike, model: type[M], /, **attrs: Any) -> M:
    """:func:`first` by ``attrs``, then :func:`create_or_first` on a miss. Flushes, never commits."""
    mapper = _checked(model, attrs)
    found = _first(session, model, mapper, attrs)
    if found is not None:
        return found
    return _create_or_first(session, model, mapper, attrs)


def count(session: SessionLike, model: type[Any], /, **attrs: Any) -> int:
    """How many ``model`` rows match ``attrs``."""
    _checked(model, attrs)
    stmt = select(func.count()).select_from(model).filter_by(**attrs)
    return session.execute(stmt).scalar_one()


def exists(session: SessionLike, model: type[Any], /, **attrs: Any) -> bool:
    """Whether any ``model`` row matches ``attrs``."""
    _checked(model, attrs)
    subquery = select(literal(1)).select_from(model).filter_by(**attrs).exists()
    return bool(session.execute(select(subquery)).scalar_one())


def _checked(model: type[Any], attrs: dict[str, Any]) -> Mapper[Any]:
    """The mapper of ``model``, once ``attrs`` are known to be its mapped attributes."""
    mapper = mapper_of(model)
    check_attributes(mapper, attrs)
    return mapper


def _first(session: SessionLike, model: type[M], mapper: Mapper[Any], attrs: dict[str, Any]) -> M | None:
    stmt = select(model).filter_by(**attrs).order_by(*mapper.primary_key).limit(1)
    return session.scalars(stmt).first()


def _create_or_first(session: SessionLike, model: type[M], mapper: Mapper[Any], attrs: dict[str, Any]) -> M:
    loaded: M | None = _loaded_by_primary_key(session, mapper, attrs)
    if loaded is not None:
        return loaded
    obj = model(**attrs)
    try:
        # The object is added inside the savepoint: added before it, it would be
        # flushed outside it, and a conflict would then poison the whole session.
        with session.begin_nested():
            session.add(obj)
            session.flush()
    except IntegrityError as exc:
        dialect = session.get_bind(mapper=mapper).dialect
        if not _dialects.is_unique_violation(dialect, exc.orig):
            raise
        return _reread(session, model, mapper, attrs, exc)
    return obj


def _loaded_by_primary_key(session: SessionLike, mapper: Mapper[Any], attrs: dict[str, Any]) -> Any:
    """The persistent object already in the identity map under the primary key in ``attrs``, or None."""
    names = primary_key_attributes(mapper)
    if not all(name in attrs for name in names):
        return None
    key = mapper.identity_key_from_primary_key(tuple(attrs[name] for name in names))
    loaded = session.identity_map.get(key)
    if loaded is None or loaded in session.deleted:
        return None
    return loaded


def _reread(
    session: SessionLike, model: type[M], mapper: Mapper[Any], attrs: dict[str, Any], exc: IntegrityError
) -> M:
    """The row that made the insert of ``attrs`` conflict, read by the conflicting key."""
    dialect = session.get_bind(mapper=mapper).dialect
    name = _dialects.constraint_name(exc.orig)
    keys = unique_keys(mapper)
    named = [key for key_name, key in keys if name is not None and key_name == name]
    candidates = named or [key for _, key in keys]
    covered = [key for key in candidates if all(attr in attrs for attr in key)]
    if not covered:
        raise ConflictError(
            f"{model.__name__} conflicts on a unique key that the given attributes "
            f"({', '.join(sorted(attrs))}) do not cover, so the existing row cannot be read back",
            constraint=name,
        ) from exc
    for key in covered:
        stmt = (
            select(model)
            .filter_by(**{attr: attrs[attr] for attr in key})
            .order_by(*mapper.primary_key)
            .limit(1)
        )
        if _dialects.needs_locking_reread(dialect):
            stmt = stmt.with_for_update(read=True)
        found = session.scalars(stmt).first()
        if found is not None:
            return found
    raise StaleConflictError(
        f"{model.__name__} with {_describe(covered, attrs)} already exists but this transaction "
        "cannot see it (snapshot isolation or a concurrent delete): retry the unit of work",
        constraint=name,
    ) from exc


def _describe(keys: list[tuple[str, ...]], attrs: dict[str, Any]) -> str:
    return " or ".join(", ".join(f"{attr}={attrs[attr]!r}" for attr in key) for key in keys)
