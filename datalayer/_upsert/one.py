"""One row: the checks, the flush, the statement, the object loaded from what it returned."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any, TypeVar, cast

from sqlalchemy import Boolean, column, select
from sqlalchemy.orm import InstanceState, Mapper

from .. import _read_only
from .._backends import Backend, backend
from .._failed_write import written
from .._mapping import is_sql, memo
from .._ownership import checked_mapper
from .._session_like import SessionLike
from .._translate import flush
from .._unflushed import loaded_states, record_written
from ..errors import ConflictError, ReadOnlyError, UsageError
from .plan import Plan
from .rows import checked_row
from .statement import MATCHED, bound_names, matched, upsert_statement

__all__ = ["flushed", "prepared", "upsert", "upserted"]

M = TypeVar("M")


def upsert(session: SessionLike, model: type[M], /, *, match: object, **values: Any) -> M:
    """Insert ``model``'s row of ``values``; if a row holds the ``match`` key, update it with the rest.

    Returns the object as stored, in the session's identity map. Flushes pending
    work first, never commits. A conflict on another unique key raises
    :class:`ConflictError`: roll the session back, as after any failed flush.
    """
    mapper, facts = prepared(session, model)
    plan, row = checked_row(mapper, values, match, "upsert")
    flushed(session, mapper)
    made: M = upserted(session, mapper, facts, plan, row)
    return made


def prepared(session: SessionLike, model: type[Any]) -> tuple[Mapper[Any], Backend]:
    """The mapper and backend of an upsert, once the session may write and the database has upserts."""
    mapper = checked_mapper(session, model)
    if session.info.get(_read_only.READ_ONLY):
        raise ReadOnlyError(f"a read-only unit of work cannot write: upsert({model.__name__}) was refused")
    facts = backend(session.get_bind(mapper=mapper).dialect)
    if facts.native_insert is None:
        raise _unable(facts.name)
    return mapper, facts


def flushed(session: SessionLike, mapper: Mapper[Any]) -> None:
    """The server must have RETURNING; then flush the caller's pending work first (its errors are its own).

    Whether MariaDB has it (10.5+) is known once the engine has connected.
    """
    dialect = session.connection(bind_arguments={"mapper": mapper}).dialect
    if not dialect.insert_returning:
        raise _unable(dialect.name)  # before the caller's work is sent
    flush(session, mapper)


def _unable(name: str) -> UsageError:
    return UsageError(
        "upsert needs INSERT .. ON CONFLICT DO UPDATE or ON DUPLICATE KEY UPDATE with RETURNING "
        f"(SQLite 3.35+, PostgreSQL, MariaDB 10.5+), which this {name} database does not have"
    )


def upserted(
    session: SessionLike,
    mapper: Mapper[Any],
    facts: Backend,
    plan: Plan,
    row: dict[str, Any],
    loaded: AbstractSet[InstanceState[Any]] | None = None,
) -> Any:
    """Upsert one checked ``row`` (canonical names): the object, or ConflictError on another key.

    ``loaded``: what the session held before (:func:`loaded_states`), when a caller upserting
    several rows took it once.
    """
    insert, on_any_key = facts.native_insert, facts.on_duplicate_key
    assert insert is not None  # checked by prepared()
    if plan.calls or any(is_sql(value) for value in row.values()):
        # A SQL expression is rendered into the statement, as a flush does; an onupdate
        # function is called for each statement: neither can be cached.
        inline = dict(zip(plan.columns, row.values(), strict=True))
        statement = _load(mapper, plan, insert, on_any_key, inline)
        params: dict[str, Any] = {}
    else:
        # One statement per model, names and backend, its values bound: nothing to
        # build and no cache key to work out on every call.
        statement = memo(mapper, _cached, plan, insert, on_any_key)
        params = {f"dl_{n}": value for n, value in enumerate(row.values())}
    what = f"the upsert of {mapper.class_.__name__}: roll the session back before using it again"
    if loaded is None:
        loaded = loaded_states(session)
    with written(session, mapper, what):
        result = session.execute(statement, params)
        if on_any_key:
            obj, held = cast("tuple[Any, bool]", tuple(result.one()))
        else:
            obj, held = result.scalar_one(), True
        record_written(session, (obj,), loaded)  # before a refusal's rollback, which must forget it
        if not held:  # MariaDB's ON DUPLICATE KEY met another key: PostgreSQL and SQLite fail the statement
            raise _other_key(mapper, plan, row, obj)
    return obj


def _cached(mapper: Mapper[Any], plan: Plan, insert: Callable[[Any], Any], on_any_key: bool) -> Any:
    return _load(mapper, plan, insert, on_any_key, bound_names(plan))


def _load(
    mapper: Mapper[Any], plan: Plan, insert: Callable[[Any], Any], on_any_key: bool, values: dict[Any, Any]
) -> Any:
    """The upsert as an ORM load: the returned row becomes the object, ``populate_existing`` if loaded.

    The INSERT is a Core statement on the table, loaded with ``from_statement``:
    half the Python work of an ORM-enabled INSERT for one row.
    """
    table = mapper.local_table
    statement = upsert_statement(table, plan, insert, on_any_key, values)
    entities: list[Any] = [mapper]
    if on_any_key:
        statement = statement.returning(*table.columns, matched(plan, values))
        entities.append(column(MATCHED, Boolean))
    else:
        statement = statement.returning(*table.columns)
    return select(*entities).from_statement(statement).execution_options(populate_existing=True)


def _other_key(mapper: Mapper[Any], plan: Plan, row: dict[str, Any], obj: object) -> ConflictError:
    names = plan.match_attributes
    key = ", ".join(f"{name}={row[name]!r}" for name in names)
    held = ", ".join(f"{name}={getattr(obj, name)!r}" for name in names)
    return ConflictError(
        f"the upsert of {mapper.class_.__name__} with {key} conflicts on another unique key, with the row "
        f"holding {held}, which was left as it was: roll the session back before using it again"
    )
