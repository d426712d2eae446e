"""create_or_first in one round trip: ``INSERT .. ON CONFLICT DO NOTHING .. RETURNING``.

Used on SQLite, and on PostgreSQL under READ COMMITTED, when nothing but a
unique key can make the insert fail, so that no SAVEPOINT is needed to keep the
transaction usable, and when
the model relies on no ORM-side insert behaviour (mapper events, relationships,
inheritance, version counters). Everything else takes the SAVEPOINT path. The
object is built by the model's own constructor, as on the SAVEPOINT path, then
attached to the session as persistent with every column the database returned.
"""

from __future__ import annotations

import datetime
import decimal
import sqlite3
import uuid
from typing import Any, cast

from sqlalchemy import CheckConstraint, Column, String, Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import instance_dict, set_committed_value
from sqlalchemy.orm.session import make_transient_to_detached
from sqlalchemy.sql import Executable

from ._read_only import READ_ONLY
from ._types import SessionLike
from .errors import ReadOnlyError

__all__ = ["NATIVE_OPTION", "insert_or_nothing", "native_columns"]

NATIVE_OPTION = "datalayer_native_inserts"

_SQLITE_RETURNING = sqlite3.sqlite_version_info >= (3, 35)
_SIMPLE_TYPES = (str, int, float, bool, decimal.Decimal, datetime.date, datetime.time, uuid.UUID, bytes)


def native_columns(session: SessionLike, mapper: Mapper[Any], obj: object) -> dict[str, Any] | None:
    """The column values to insert natively for ``obj``, or None when the SAVEPOINT path is needed.

    The engine option ``execution_options={"datalayer_native_inserts": False}``
    turns the native path off.
    """
    bind = session.get_bind(mapper=mapper)
    dialect = bind.dialect
    if not (dialect.name == "postgresql" or (dialect.name == "sqlite" and _SQLITE_RETURNING)):
        return None
    if not bind.get_execution_options().get(NATIVE_OPTION, True) or not _ormless(mapper):
        return None
    if dialect.name == "postgresql" and _isolation(session, mapper) != "READ COMMITTED":
        # Under snapshot isolation a conflict with an invisible row aborts the whole
        # transaction (40001); the SAVEPOINT path keeps it and raises StaleConflictError.
        return None
    state = instance_dict(obj)
    if any(relationship.key in state for relationship in mapper.relationships):
        return None  # cascades and foreign keys from related objects belong to the flush
    values: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if prop.key in state and not (state[prop.key] is None and column.primary_key):
            values[column.key] = state[prop.key]
    table = _table(mapper)
    assert table is not None  # checked by _ormless
    if dialect.name == "postgresql" and not _only_unique_can_fail(table, values):
        return None  # a failed statement would abort the whole PostgreSQL transaction
    return values


def insert_or_nothing(session: SessionLike, mapper: Mapper[Any], obj: object, values: dict[str, Any]) -> bool:
    """Insert ``obj``'s row unless a unique key holds it, and attach ``obj`` as persistent.

    Returns False, inserting nothing, when a unique key already holds the row.
    """
    if session.info.get(READ_ONLY):
        raise ReadOnlyError("a read-only unit of work cannot write")
    table = _table(mapper)
    assert table is not None
    dialect = session.get_bind(mapper=mapper).dialect
    upsert = postgresql_insert(table) if dialect.name == "postgresql" else sqlite_insert(table)
    # The dialects' Insert.returning() is untyped: say what it is.
    statement = cast("Executable", upsert.values(values).on_conflict_do_nothing().returning(*table.columns))
    returned = session.execute(statement).mappings().first()
    if returned is None:
        return False
    for prop in mapper.column_attrs:
        set_committed_value(obj, prop.key, returned[prop.columns[0]])
    make_transient_to_detached(obj)
    session.add(obj)
    return True


def _isolation(session: SessionLike, mapper: Mapper[Any]) -> str | None:
    connection = session.connection(bind_arguments={"mapper": mapper})
    level = connection.get_execution_options().get("isolation_level") or connection.default_isolation_level
    return str(level) if level is not None else None


def _ormless(mapper: Mapper[Any]) -> bool:
    """Whether inserting a row of ``mapper`` needs nothing from the ORM's flush."""
    dispatch = mapper.dispatch
    return (
        _table(mapper) is not None
        and mapper.inherits is None
        and mapper.version_id_col is None
        and not dispatch.before_insert
        and not dispatch.after_insert
        and all(len(prop.columns) == 1 for prop in mapper.column_attrs)
    )


def _table(mapper: Mapper[Any]) -> Table[Any] | None:
    local = mapper.local_table
    # isinstance() cannot tell the column collection parameter of Table: it stays unknown.
    return local if isinstance(local, Table) else None  # pyright: ignore[reportUnknownVariableType]


def _only_unique_can_fail(table: Table[Any], values: dict[str, Any]) -> bool:
    """Whether no NOT NULL, CHECK, foreign key, length or type failure can happen for ``values``."""
    if any(isinstance(constraint, CheckConstraint) for constraint in table.constraints):
        return False
    return all(_safe(column, values) for column in table.columns)


def _safe(column: Column[Any], values: dict[str, Any]) -> bool:
    if column.key not in values:
        generated = column.default is not None or column.server_default is not None
        return column.nullable or generated or column.autoincrement is True or _serial(column)
    value = values[column.key]
    if value is None:
        return bool(column.nullable)
    if column.foreign_keys or not isinstance(value, _SIMPLE_TYPES):
        return False
    if isinstance(value, str):
        length = column.type.length if isinstance(column.type, String) else None
        return (length is None or len(value) <= length) and "\x00" not in value and _encodable(value)
    try:
        return isinstance(value, column.type.python_type)
    except NotImplementedError:
        return False


def _encodable(value: str) -> bool:
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _serial(column: Column[Any]) -> bool:
    return column.primary_key and column.table.autoincrement_column is column
