"""Inserting one new object without the unit of work's flush, as the flush would have done it.

Shared by the paths that send their own INSERT (``create``'s one statement,
create_or_first's one round trip): whether the model and the session need
nothing from a flush, the values a flush would send for the object, and
attaching the object afterwards as the flush would have left it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import InstanceState, Mapper, Session, scoped_session
from sqlalchemy.orm import persistence as _persistence
from sqlalchemy.orm.attributes import instance_dict, instance_state
from sqlalchemy.orm.session import make_transient_to_detached

from . import _flush_checks
from ._mapping import memo
from ._session_like import SessionLike

__all__ = [
    "NATIVE_OPTION",
    "attach",
    "flush_values",
    "flushless",
    "forget_on_rollback",
    "loaded_states",
    "own",
    "reads_server_defaults",
    "record_written",
    "table_of",
]

NATIVE_OPTION = "datalayer_native_inserts"
"""Engine execution option: False sends every insert through the unit of work's flush."""

# Session events a path without the flush would skip or fire differently.
_SESSION_EVENTS = (
    "before_flush",
    "after_flush",
    "after_flush_postexec",
    "transient_to_pending",
    "pending_to_persistent",
    "detached_to_persistent",
    "before_attach",  # fired by the flush path before anything is sent, here after the INSERT
    "after_attach",
)
_OWN_LISTENERS = frozenset({_flush_checks.check_flush})

# What the unit of work itself calls for each table it inserts into (the same in 2.0 and 2.1).
_collect_insert_commands = cast(
    "Callable[..., Iterator[tuple[Any, ...]]]",
    _persistence._collect_insert_commands,  # pyright: ignore[reportPrivateUsage, reportUnknownMemberType]
)


def own(session: SessionLike) -> Session:
    """The Session itself behind a scoped session proxy."""
    return session() if isinstance(session, scoped_session) else session


def flushless(session: Session, bind: Engine | Connection, mapper: Mapper[Any], obj: object) -> bool:
    """Whether ``obj`` may be inserted without the flush: nothing ORM-side would see a difference.

    The engine option ``execution_options={"datalayer_native_inserts": False}``
    says no for every object (the flush then sends every insert).
    """
    return (
        bind.get_execution_options().get(NATIVE_OPTION, True)
        and _ormless(mapper)
        and not _has_flush_listeners(session)
        and not _has_relationships(mapper, obj)
    )


def _ormless(mapper: Mapper[Any]) -> bool:
    """Whether inserting a row of ``mapper`` needs nothing from the ORM's flush.

    No mapper insert events, instance events the flush fires differently
    (``refresh_flush``, ``expire``), inheritance, version counter, table without
    RETURNING (``implicit_returning=False``: a trigger may keep the row from it),
    or attribute mapped to several columns. Relationships set on the object are
    checked per object.
    """
    dispatch, instance = mapper.dispatch, mapper.class_manager.dispatch
    return (
        not dispatch.before_insert
        and not dispatch.after_insert
        and not instance.refresh_flush
        and not instance.expire
        and memo(mapper, _plain_table)
    )


def _plain_table(mapper: Mapper[Any]) -> bool:
    table = table_of(mapper)
    return (
        table is not None
        and table.implicit_returning
        and mapper.inherits is None
        and mapper.version_id_col is None
        and all(len(prop.columns) == 1 for prop in mapper.column_attrs)
    )


def _has_flush_listeners(session: Session) -> bool:
    """Whether anything but datalayer listens to the flush events of ``session``."""
    dispatch = session.dispatch
    return any(
        listener not in _OWN_LISTENERS for name in _SESSION_EVENTS for listener in getattr(dispatch, name)
    )


def _has_relationships(mapper: Mapper[Any], obj: object) -> bool:
    """Whether ``obj`` holds related objects: cascades and foreign keys from them belong to the flush."""
    state = instance_dict(obj)
    return any(relationship.key in state for relationship in mapper.relationships)


def flush_values(
    mapper: Mapper[Any], obj: object, connection: Connection
) -> tuple[dict[str, Any], dict[Any, Any]]:
    """What a flush would send for ``obj``: bound values by column key, and SQL expressions by column.

    The ORM's own rules, not a copy of them: a None given to a column with a
    default leaves the default to apply, dataclass defaults are added, NULL is
    sent explicitly where nothing else would be.
    """
    state = instance_state(obj)
    commands = _collect_insert_commands(table_of(mapper), [(state, state.dict, mapper, connection)])
    _state, _dict, params, _mapper, _connection, expressions, *_ = next(commands)
    return params, expressions


def reads_server_defaults(mapper: Mapper[Any], connection: Connection) -> bool:
    """Whether a flush reads ``mapper``'s server defaults back with the INSERT (its eager defaults)."""
    prefer = cast(
        "Callable[[Dialect, Any], bool]",
        mapper.base_mapper._prefer_eager_defaults,  # pyright: ignore[reportPrivateUsage, reportUnknownMemberType]
    )
    return bool(prefer(connection.dialect, table_of(mapper)))


def attach(session: Session, obj: object) -> None:
    """Make the just inserted ``obj`` persistent in ``session``, forgotten if the transaction rolls back.

    Its attributes count as loaded; those not set stay unloaded and load when
    first read.
    """
    make_transient_to_detached(obj)
    session.add(obj)
    forget_on_rollback(session, (obj,))


def forget_on_rollback(session: SessionLike, objects: Iterable[object]) -> None:
    """Have a rollback of the current transaction (or SAVEPOINT) forget ``objects``, rows it inserted.

    Objects attached after an INSERT sent without the flush (or loaded from an
    ``INSERT .. RETURNING``) would otherwise stay in the identity map after a
    rollback as rows that were never there: expired, failing when read, or on
    SQLite, which reuses row ids, loading another row's data.
    """
    record_written(session, objects, frozenset())


def loaded_states(session: SessionLike) -> frozenset[InstanceState[Any]]:
    """What ``session`` holds now, held strongly: nothing collected meanwhile can pass for something new."""
    return frozenset(own(session).identity_map.all_states())


def record_written(
    session: SessionLike, objects: Iterable[object], loaded_before: AbstractSet[InstanceState[Any]]
) -> None:
    """Have a rollback undo, in the session, what a statement sent without the flush wrote for ``objects``.

    Those ``loaded_before`` it are expired by a rollback of the current
    transaction or SAVEPOINT, as rows a flush updated; the others forgotten, as
    rows a flush inserted (a row that already existed but was not loaded included:
    it is read again when asked for). A flush records them in the same two places,
    ``SessionTransaction._dirty`` and ``_new`` (Session._register_altered and
    _register_persistent); there is no public equivalent.
    """
    session = own(session)
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        return
    new, dirty = transaction._new, transaction._dirty  # pyright: ignore[reportPrivateUsage]
    for obj in objects:
        state = instance_state(obj)
        (dirty if state in loaded_before else new)[state] = True


def table_of(mapper: Mapper[Any]) -> Table[Any] | None:
    """The Table ``mapper`` inserts into, or None when it maps something else (a join, a select)."""
    local = mapper.local_table
    # isinstance() cannot tell the column collection parameter of Table: it stays unknown.
    return local if isinstance(local, Table) else None  # pyright: ignore[reportUnknownVariableType]
