"""A view's reads: on the session's connection, in its transaction, after its autoflush.

Each read checks its arguments and the model's Database before anything is sent,
flushes the session's pending changes as the ORM's autoflush would (unless
autoflush is off, or inside ``no_autoflush``), then sends one SELECT on the
connection of the session's transaction: raw where nothing would hear it
(``_raw``), else through SQLAlchemy's Core execution. The objects built are the
view's, which the session does not track. Nothing is committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import starmap
from typing import Any, cast

from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.orm import Mapper, Session, scoped_session

from .. import _ownership
from .._session_like import SessionLike
from ..errors import UsageError
from ._declare import ViewSpec
from ._prepared import Prepared, prepare
from ._raw import fetch, raw_connection
from ._session import autoflush, connection_for
from ._statements import FIRST, PAGE, PLAIN, ROWS, Plan, adhoc, plan_for

__all__ = ["first", "get", "open_rows", "page", "rows"]


def first(session: SessionLike, spec: ViewSpec, attrs: Mapping[str, Any]) -> Any:
    """The view of the matching row with the lowest primary key, or None."""
    found = _rows(session, spec, FIRST, attrs, (), True)
    return spec.make(*found[0]) if found else None


def rows(session: SessionLike, spec: ViewSpec, attrs: Mapping[str, Any]) -> list[Any]:
    """The views of every matching row, by primary key."""
    return list(starmap(spec.make, _rows(session, spec, ROWS, attrs, (), False)))


def page(
    session: SessionLike, spec: ViewSpec, attrs: Mapping[str, Any], after: tuple[Any, ...] | None, size: int
) -> list[Any]:
    """Up to ``size`` views of matching rows whose primary key follows ``after`` (checked keyset values)."""
    return list(starmap(spec.make, _rows(session, spec, PAGE, attrs, (*(after or ()), size), False)))


def get(session: SessionLike, spec: ViewSpec, ident: Any) -> Any:
    """The view of the row with this primary key (a value, a tuple, or a dict by attribute name), or None."""
    names = spec.key
    if len(names) == 1 and type(ident) in PLAIN:  # the usual case, at once
        return first(session, spec, {names[0]: ident})
    if isinstance(ident, tuple | list):
        values = tuple(cast("tuple[Any, ...]", ident))
    elif isinstance(ident, Mapping):
        key: dict[str, Any] = dict(ident)  # pyright: ignore[reportUnknownArgumentType]
        if sorted(key) != sorted(names):
            raise UsageError(
                f"get() of {spec.cls.__name__} takes {spec.model.__name__}'s primary key {names}"
            )
        return first(session, spec, key)
    else:
        values = (ident,)
    if len(values) != len(names):
        raise UsageError(
            f"get() of {spec.cls.__name__} takes {len(names)} primary key values ({', '.join(names)}), "
            f"not {ident!r}"
        )
    return first(session, spec, dict(zip(names, values, strict=True)))


def open_rows(
    session: Session, spec: ViewSpec, attrs: Mapping[str, Any], batch_size: int
) -> CursorResult[Any]:
    """Every matching row by primary key, through a server-side cursor (``stream()``'s, which checks)."""
    mapper = spec.mapper
    statement = adhoc(spec, ROWS, attrs).execution_options(yield_per=batch_size)
    bind = session.get_bind(mapper)
    autoflush(session)
    return connection_for(session, bind, mapper).execute(statement)


def _rows(
    session: SessionLike,
    spec: ViewSpec,
    kind: str,
    attrs: Mapping[str, Any],
    extra: tuple[Any, ...],
    one: bool,
) -> list[Any]:
    """The rows of a read (``one``: the first at most): the view's fields' values, in order."""
    owner = session.registry() if isinstance(session, scoped_session) else session
    mapper = spec.mapper
    bind = owner.get_bind(mapper)
    found = plan_for(spec, kind, attrs, extra)
    if found is None:  # a filter the plans cannot hold: a statement of its own
        _ownership.check_bind_owner(bind, mapper)
        autoflush(owner)
        return _result(connection_for(owner, bind, mapper).execute(adhoc(spec, kind, attrs, extra)), one)
    plan, values = found
    prepared = plan.prepared
    if prepared is None or prepared.dialect() is not bind.dialect or prepared.epoch != _ownership.epoch:
        prepared = _prepared(plan, bind, mapper)
    autoflush(owner)
    connection = connection_for(owner, bind, mapper)
    driver = raw_connection(connection, prepared)
    if driver is not None:
        return fetch(connection, driver, prepared, values, one)
    return _result(connection.execute(plan.statement, dict(zip(plan.names, values, strict=True))), one)


def _result(result: CursorResult[Any], one: bool) -> list[Any]:
    if one:
        row = result.first()
        return [] if row is None else [row]
    return list(result.all())


def _prepared(plan: Plan, bind: Engine | Connection, mapper: Mapper[Any]) -> Prepared:
    """``plan`` prepared for ``bind``'s dialect, once the model is known to belong there."""
    dialect = bind.dialect
    prepared: Prepared | None = plan.by_dialect.get(dialect)
    if prepared is None:
        prepared = plan.by_dialect[dialect] = prepare(plan.statement, plan.names, dialect)
    if prepared.epoch != _ownership.epoch:
        _ownership.check_bind_owner(bind, mapper)
        prepared.epoch = _ownership.epoch
    plan.prepared = prepared
    return prepared
