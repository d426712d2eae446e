"""A view's reads: on the session's connection, in its transaction, after its autoflush.

Each read checks its arguments and the model's Database before anything is sent,
flushes the session's pending changes as the ORM's autoflush would (unless
autoflush is off, or inside ``no_autoflush``), then sends one SELECT on the
connection of the session's transaction: raw where nothing listens (``_raw``),
else through SQLAlchemy's Core execution. The objects built are the view's, which
the session does not track. Nothing is committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import starmap
from typing import Any

from sqlalchemy.engine import Connection, CursorResult, Dialect, Engine
from sqlalchemy.orm import Mapper, Session, scoped_session
from sqlalchemy.orm.session import SessionTransactionState

from .. import _ownership
from .._mapping import primary_key_attributes
from .._session_like import SessionLike
from ..errors import UsageError
from ._declare import ViewSpec
from ._raw import Prepared, fetch, prepare, raw_connection
from ._statements import FIRST, PAGE, ROWS, Plan, adhoc, plain, plan_for

__all__ = ["first", "get", "open_rows", "page", "rows"]

_ACTIVE = SessionTransactionState.ACTIVE


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
    """Up to ``size`` views of the matching rows whose primary key follows ``after`` (checked keyset values)."""
    return list(starmap(spec.make, _rows(session, spec, PAGE, attrs, (*(after or ()), size), False)))


def get(session: SessionLike, spec: ViewSpec, ident: Any) -> Any:
    """The view of the row with this primary key (a value, a tuple, or a dict by attribute name), or None."""
    names = primary_key_attributes(spec.mapper)
    if isinstance(ident, Mapping):
        key: dict[str, Any] = dict(ident)  # pyright: ignore[reportUnknownArgumentType]
        if sorted(key) != sorted(names):
            raise UsageError(f"get() of {spec.cls.__name__} takes {spec.model.__name__}'s primary key {names}")
    else:
        values = tuple(ident) if isinstance(ident, tuple | list) else (ident,)  # pyright: ignore[reportUnknownArgumentType]
        if len(values) != len(names):
            raise UsageError(
                f"get() of {spec.cls.__name__} takes {len(names)} primary key values "
                f"({', '.join(names)}), not {ident!r}"
            )
        key = dict(zip(names, values, strict=True))
    return first(session, spec, key)


def open_rows(session: Session, spec: ViewSpec, attrs: Mapping[str, Any], batch_size: int) -> CursorResult[Any]:
    """Every matching row by primary key, through a server-side cursor (``stream()``'s; checked by it)."""
    mapper = spec.mapper
    statement = adhoc(spec, ROWS, attrs).execution_options(yield_per=batch_size)
    bind = session.get_bind(mapper=mapper)
    _autoflush(session)
    return _connection(session, bind, mapper).execute(statement)


def _rows(
    session: SessionLike, spec: ViewSpec, kind: str, attrs: Mapping[str, Any], extra: tuple[Any, ...], one: bool
) -> list[Any]:
    """The rows of a read (``one``: the first at most), as tuples of the view's fields in order."""
    owner = session.registry() if isinstance(session, scoped_session) else session
    mapper = spec.mapper
    bind = owner.get_bind(mapper)
    values = tuple(attrs.values())
    plan = spec.plans.get((kind, tuple(attrs), (), len(extra)))
    found = (plan, values + extra) if plan is not None and plain(values) else plan_for(spec, kind, attrs, extra)
    if found is None:
        _ownership.check_bind_owner(bind, mapper)
        _autoflush(owner)
        statement = adhoc(spec, kind, attrs, extra)
        return _result(_connection(owner, bind, mapper).execute(statement), one)
    plan, values = found
    prepared = plan.prepared
    if prepared is None or prepared.dialect() is not bind.dialect or prepared.epoch != _ownership.epoch:
        prepared = _prepared(plan, bind, mapper)
    if owner.autoflush:
        _autoflush(owner)
    # The connection of the session's transaction, as session.connection() would return it.
    transaction = owner._transaction  # pyright: ignore[reportPrivateUsage]
    held = None
    if (
        transaction is not None
        and transaction._state is _ACTIVE  # pyright: ignore[reportPrivateUsage]
        and owner._trans_context_manager is None  # pyright: ignore[reportPrivateUsage]
    ):
        held = transaction._connections.get(bind)  # pyright: ignore[reportPrivateUsage]
    connection = owner.connection(bind_arguments={"mapper": mapper}) if held is None else held[0]
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


def _autoflush(session: Session) -> None:
    """The ORM's autoflush (``Query``'s), skipped at once when there is nothing to flush."""
    if session.autoflush and (
        session._new  # pyright: ignore[reportPrivateUsage]
        or session._deleted  # pyright: ignore[reportPrivateUsage]
        or session.identity_map._modified  # pyright: ignore[reportPrivateUsage]
    ):
        session._autoflush()  # pyright: ignore[reportPrivateUsage]


def _connection(session: Session, bind: Engine | Connection, mapper: Mapper[Any]) -> Connection:
    """``session.connection()`` for ``mapper``: the connection its transaction holds, looked up directly."""
    transaction = session._transaction  # pyright: ignore[reportPrivateUsage]
    if (
        transaction is not None
        and transaction.is_active
        and session._trans_context_manager is None  # pyright: ignore[reportPrivateUsage]
    ):
        held = transaction._connections.get(bind)  # pyright: ignore[reportPrivateUsage]
        if held is not None:
            return held[0]
    return session.connection(bind_arguments={"mapper": mapper})  # begins, or says why it cannot
