"""The one implementation of the session helpers.

Each helper is a function of ``(session, Model, **attrs)``: it works on any
SQLAlchemy session (ours, the scoped proxy, one made by another framework), and
the :class:`~datalayer.Session` methods, the scoped ``db.s`` and the repositories
are one-line fronts over it. Helpers flush, never commit.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapper

from ._attributes import check_attributes, require_attributes
from ._create_or_first import create_or_first as create_or_first_path
from ._direct_create import create_directly
from ._lengths import check_lengths
from ._mapping import is_sql, mapper_of, memo, primary_key_attributes
from ._ownership import checked_mapper
from ._session_like import SessionLike
from ._translate import failed_flush, flush
from ._views import first as view_first
from ._views import rows as view_rows
from ._views import spec_of
from .errors import UsageError

__all__ = [
    "NO_IDENT",
    "SessionLike",
    "count",
    "create",
    "create_or_first",
    "exists",
    "find_all",
    "first",
    "first_or_create",
    "flush",
    "identity",
]

M = TypeVar("M")

NO_IDENT: Any = object()
"""The default of a positional primary key, so that None can still be refused as one."""


def find_all(session: SessionLike, model: type[M], /, **attrs: Any) -> list[M]:
    """Every ``model`` row whose attributes equal ``attrs``, ordered by primary key (a view's, for a view)."""
    spec = spec_of(model)
    if spec is not None:
        return view_rows(session, spec, attrs)
    mapper = _checked(session, model, attrs)
    stmt = select(model).filter_by(**attrs).order_by(*mapper.primary_key)
    return list(session.scalars(stmt))


def first(session: SessionLike, model: type[M], /, **attrs: Any) -> M | None:
    """The ``model`` row with the lowest primary key among those matching ``attrs``, or None.

    For a view, the view of that row (see :mod:`datalayer._views`).
    """
    spec = spec_of(model)
    if spec is not None:
        return view_first(session, spec, attrs)  # type: ignore[no-any-return]
    return _first(session, model, _checked(session, model, attrs), attrs)


def create(session: SessionLike, model: type[M], /, **attrs: Any) -> M:
    """Build ``model(**attrs)``, add it and flush; never commits.

    A unique violation raises :class:`ConflictError`; the session must then be
    rolled back, as after any failed flush.
    """
    mapper = _checked(session, model, attrs, filters=False, builds=True)
    check_lengths(mapper, attrs)  # by the names given, before the object is added and could stay pending
    obj = model(**attrs)
    try:
        if create_directly(session, mapper, obj):  # one INSERT .. RETURNING, no flush: see _direct_create
            return obj
    except IntegrityError as exc:
        failed_flush(session, mapper, exc)
    session.add(obj)
    flush(session, mapper)
    return obj


def create_or_first(session: SessionLike, model: type[M], /, **attrs: Any) -> M:
    """Insert ``model(**attrs)``; on a unique violation return the row that holds the key.

    The insert runs inside a SAVEPOINT, so a conflict undoes that insert alone:
    the caller's other flushed and pending work is kept. Only unique violations
    count as "exists"; any other error propagates unchanged. Flushes, never
    commits.
    """
    mapper = _checked(session, model, attrs, filters=False, builds=True)
    require_attributes("create_or_first", mapper, attrs)
    return create_or_first_path(session, model, mapper, attrs)


def first_or_create(session: SessionLike, model: type[M], /, **attrs: Any) -> M:
    """:func:`first` by ``attrs``, then :func:`create_or_first` on a miss. Flushes, never commits."""
    mapper = _checked(session, model, attrs, builds=True)
    require_attributes("first_or_create", mapper, attrs)
    check_lengths(mapper, attrs)  # before the lookup too: PostgreSQL would fail it on an Enum column
    found = _first(session, model, mapper, attrs)
    if found is not None:
        return found
    return create_or_first_path(session, model, mapper, attrs)


def identity(model: type[Any], ident: Any, key: dict[str, Any]) -> Any:
    """The primary key given positionally (``ident``) or by attribute name (``key``), for ``Session.get``.

    ``get(5)``, ``get((1, "a"))`` and ``get(id=5)`` all name one row; naming any
    attribute but the primary key's is a :class:`UsageError` (use ``first()``).
    """
    if not key:
        if ident is NO_IDENT:
            raise UsageError(f"get() needs {model.__name__}'s primary key")
        return ident
    if ident is not NO_IDENT:
        raise UsageError("give the primary key either positionally or by name, not both")
    names = primary_key_attributes(mapper_of(model))
    if sorted(key) != sorted(names):
        raise UsageError(
            f"get() takes {model.__name__}'s primary key ({', '.join(f'{name}=' for name in names)}), "
            f"not {', '.join(sorted(key))}: find rows by other attributes with first()"
        )
    return key


def count(session: SessionLike, model: type[Any], /, **attrs: Any) -> int:
    """How many ``model`` rows (a view's model's rows) match ``attrs``."""
    model = _model_of(model)
    _checked(session, model, attrs)
    stmt = select(func.count()).select_from(model).filter_by(**attrs)
    return session.execute(stmt).scalar_one()


def exists(session: SessionLike, model: type[Any], /, **attrs: Any) -> bool:
    """Whether any ``model`` row (a view's model's row) matches ``attrs``."""
    model = _model_of(model)
    _checked(session, model, attrs)
    subquery = select(literal(1)).select_from(model).filter_by(**attrs).exists()
    return bool(session.execute(select(subquery)).scalar_one())


def _model_of(model: type[Any]) -> type[Any]:
    """``model``, or the model of a view."""
    spec = spec_of(model)
    return model if spec is None else spec.model


def _checked(
    session: SessionLike,
    model: type[Any],
    attrs: dict[str, Any],
    *,
    filters: bool = True,
    builds: bool = False,
) -> Mapper[Any]:
    """The mapper of ``model``, once it belongs to ``session``'s Database and ``attrs`` are usable."""
    mapper = checked_mapper(session, model)
    check_attributes(mapper, attrs, filters=filters, builds=builds)
    return mapper


def _first(session: SessionLike, model: type[M], mapper: Mapper[Any], attrs: dict[str, Any]) -> M | None:
    shape = tuple((name, attrs[name] is None) for name in attrs)
    if all(name in mapper.columns and not is_sql(value) for name, value in attrs.items()):
        # Built once per model and attribute names, values bound: no statement or
        # cache key to rebuild on the lookup path.
        params = {f"dl_{name}": value for name, value in attrs.items() if value is not None}
        return session.scalars(memo(mapper, _first_by_columns, shape), params).first()
    stmt = select(model).filter_by(**attrs).order_by(*mapper.primary_key).limit(1)
    return session.scalars(stmt).first()


def _first_by_columns(mapper: Mapper[Any], shape: tuple[tuple[str, bool], ...]) -> Select[Any]:
    """``first``'s statement for column attributes; ``(name, is None)`` pairs say which compare to NULL."""
    columns = [mapper.columns[name] for name, _ in shape]
    criteria = [
        column.is_(None) if is_null else column == bindparam(f"dl_{name}")
        for column, (name, is_null) in zip(columns, shape, strict=True)
    ]
    return select(mapper).where(*criteria).order_by(*mapper.primary_key).limit(1)
