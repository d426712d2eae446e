"""upsert_many: every row upserted, one statement per batch; the objects in the rows' order.

The rows go to SQLAlchemy's batched INSERT (``insertmanyvalues``): one
multi-row ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING`` per batch on
PostgreSQL, ``INSERT .. ON DUPLICATE KEY UPDATE .. RETURNING`` on MariaDB. Each
returned row is handed to the input row that holds its match key, and by
position where the database stored a key that compares equal but reads
differently (a case-insensitive collation): both servers insert and return the
rows of a VALUES list in its order. SQLite documents its RETURNING order as
arbitrary: there SQLAlchemy sends one statement per row, in the rows' order, as
it does for ``create_many`` (SQLite has no round trip to save). On MariaDB a
model with another unique key than the match is upserted a row at a time, each
checked as :func:`~datalayer._upsert.upsert` checks its row.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy.orm import Mapper

from .._failed_write import written
from .._mapping import memo
from .._session_like import SessionLike
from .._unflushed import loaded_states, record_written
from .one import flushed, prepared, upserted
from .plan import Plan
from .rows import checked_rows, match_key
from .statement import upsert_statement

__all__ = ["upsert_many"]

M = TypeVar("M")
_POPULATE = {"populate_existing": True}


def upsert_many(
    session: SessionLike, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, match: object
) -> list[M]:
    """Upsert every row (a dict of the same names each); the objects, one per row, in the rows' order.

    Flushes pending work first, never commits. A conflict on another unique key
    raises :class:`ConflictError`: roll the session back, as after any failed flush.
    """
    mapper, facts = prepared(session, model)
    plan, given = checked_rows(mapper, rows, match, "upsert_many")
    if not given:
        return []
    flushed(session, mapper)
    if facts.on_duplicate_key and plan.other_keys:  # one row at a time, each checked for its key
        before = loaded_states(session)
        return [upserted(session, mapper, facts, plan, row, before) for row in given]
    insert = facts.native_insert
    assert insert is not None  # checked by prepared()
    in_order = facts.inserts_one_row_at_a_time
    on_any_key = facts.on_duplicate_key
    if plan.calls:  # an onupdate function is called for each statement: built each time
        statement = _statement(mapper, plan, insert, on_any_key, in_order)
    else:
        statement = memo(mapper, _statement, plan, insert, on_any_key, in_order)
    what = f"a row of upsert_many({mapper.class_.__name__}): roll the session back before using it again"
    loaded = loaded_states(session)
    with written(session, mapper, what):
        objects: list[M] = list(session.scalars(statement, given, execution_options=_POPULATE))
    record_written(session, objects, loaded)
    return objects if in_order else _in_rows_order(plan, given, objects)


def _statement(mapper: Mapper[Any], plan: Plan, insert: Any, on_any_key: bool, in_order: bool) -> Any:
    """An ORM bulk INSERT: SQLAlchemy batches the rows (``insertmanyvalues``) and loads the objects."""
    statement = upsert_statement(mapper.class_, plan, insert, on_any_key, None)
    return statement.returning(mapper.class_, sort_by_parameter_order=in_order)


def _in_rows_order(plan: Plan, rows: list[dict[str, Any]], objects: list[M]) -> list[M]:
    """``objects`` handed to the rows that hold their match keys, the others by position."""
    by_key: dict[Hashable, M] = {}
    for obj in objects:
        key = match_key(plan, {name: getattr(obj, name) for name in plan.match_attributes})
        if key is not None:
            by_key.setdefault(key, obj)
    found: list[M] = []
    for row, obj in zip(rows, objects, strict=True):
        key = match_key(plan, row)
        found.append(by_key.get(key, obj) if key is not None else obj)
    return found
