"""create_or_first, top-down: insert, or read back the row that holds the key; never lose the caller's work.

The INSERT takes one of two paths: ``native`` sends ``INSERT .. ON CONFLICT DO
NOTHING .. RETURNING`` in one round trip (inside a pipelined SAVEPOINT on
PostgreSQL; a plain ``INSERT .. RETURNING`` on MariaDB, whose failed statement
undoes itself), where the model and the session allow it; otherwise the object is
flushed inside a SAVEPOINT. Either way a failure undoes that INSERT alone. On a
conflict, ``reread`` reads the row back by the key that conflicted, or says why it
cannot be had.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import instance_dict

from .._backends import is_unique_violation
from .._direct_create import create_directly
from .._guard import autocommit
from .._lengths import check_lengths
from .._mapping import canonical, primary_key_attributes
from .._session_like import SessionLike
from .._translate import flush
from .native import insert_or_nothing, native_columns
from .reread import existing_row

__all__ = ["create_or_first"]

M = TypeVar("M")


def create_or_first(session: SessionLike, model: type[M], mapper: Mapper[Any], attrs: dict[str, Any]) -> M:
    """Insert ``model(**attrs)``; on a unique violation, the row that holds the key. Flushes, never commits.

    ``attrs`` are checked by the caller. Top-down: the identity map, the caller's
    pending work flushed, then the one-round-trip INSERT (``native``) or an INSERT
    in a SAVEPOINT, and on a conflict the re-read by the key that conflicted
    (``reread``).
    """
    check_lengths(mapper, attrs)
    loaded: M | None = _loaded_by_primary_key(session, mapper, attrs)
    if loaded is not None:
        return loaded
    # The caller's pending work is flushed first, outside the savepoint: its own
    # errors propagate and are never taken for this insert's conflict.
    flush(session, mapper)
    obj = model(**attrs)
    values = native_columns(session, mapper, obj)
    each_statement_commits = values is None and autocommit(
        session.connection(bind_arguments={"mapper": mapper})
    )
    try:
        if values is not None:
            # A conflict: nothing inserted, or (MariaDB) the INSERT failed, undoing itself alone.
            inserted = insert_or_nothing(session, mapper, obj, values)
        else:
            _insert_in_savepoint(session, mapper, obj, each_statement_commits)
            inserted = True
    except IntegrityError as exc:
        if each_statement_commits:
            session.rollback()
        dialect = session.get_bind(mapper=mapper).dialect
        if not is_unique_violation(dialect, exc.orig):
            raise
        return existing_row(session, model, mapper, _sent(mapper, attrs, obj), exc)
    return obj if inserted else existing_row(session, model, mapper, _sent(mapper, attrs, obj), None)


def _sent(mapper: Mapper[Any], attrs: dict[str, Any], obj: object) -> dict[str, Any]:
    """What the INSERT sent, by attribute: the values given, and what the constructor set.

    (A hybrid's setter, an attrs default.) A conflicting key is read back by them;
    the object, never attached after a conflict, still holds them.
    """
    return {**canonical(mapper, attrs), **_column_values(mapper, obj)}


def _insert_in_savepoint(
    session: SessionLike, mapper: Mapper[Any], obj: object, each_statement_commits: bool
) -> None:
    """Insert ``obj`` inside a SAVEPOINT (a flush, or the flush's INSERT without it); failures propagate."""
    if each_statement_commits:
        # A failure cannot cost earlier work, and there is no transaction to hold a
        # savepoint: the session is rolled back after a conflict (it undoes nothing).
        session.add(obj)
        session.flush()
        return
    # The object is added inside the savepoint: added before it, it would be
    # flushed outside it, and a conflict would then poison the whole session.
    with session.begin_nested():
        if not create_directly(session, mapper, obj):  # the flush's INSERT, without the flush
            session.add(obj)
            session.flush()


def _column_values(mapper: Mapper[Any], obj: object) -> dict[str, Any]:
    state = instance_dict(obj)
    return {prop.key: state[prop.key] for prop in mapper.column_attrs if prop.key in state}


def _loaded_by_primary_key(session: SessionLike, mapper: Mapper[Any], attrs: dict[str, Any]) -> Any:
    """The persistent object already in the identity map under the primary key in ``attrs``, or None."""
    names = primary_key_attributes(mapper)
    attrs = canonical(mapper, attrs)
    if not all(name in attrs for name in names):
        return None
    key = mapper.identity_key_from_primary_key(tuple(attrs[name] for name in names))
    loaded = session.identity_map.get(key)
    if loaded is None or loaded in session.deleted:
        return None
    return loaded
