"""``create`` in one statement of its own: ``INSERT .. RETURNING`` with no unit-of-work flush.

For one new object, a flush spends more CPU working out what to send than the
round trip costs; a model that needs nothing from the flush (no mapper or session
flush events, relationships, inheritance, version counter) already knows it. When
nothing else is pending in the session, ``create`` sends the INSERT the flush would
have sent (the ORM's own choice of values and defaults), reads back the columns it
did not send (the primary key, server and Python-side defaults), and attaches the
object as persistent as the flush would have left it.

Nothing is predicted about the statement: whatever makes it fail, the session's
transaction ends as after a failed flush (rolled back; the session refuses work
until ``rollback()``), so the two paths cannot be told apart. The engine option
``execution_options={"datalayer_native_inserts": False}`` sends every ``create``
through the flush.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from . import _read_only
from ._failed_write import fail_as_flush
from ._lengths import check_state
from ._mapping import memo, primary_key_attributes
from ._session_like import SessionLike
from ._unflushed import attach, flush_values, flushless, own, reads_server_defaults, table_of

__all__ = ["create_directly"]

_Loaded = tuple[tuple[str, "ColumnElement[Any]"], ...]


def create_directly(session: SessionLike, mapper: Mapper[Any], obj: object) -> bool:
    """Insert the new ``obj`` and attach it as persistent; False, doing nothing, when it needs the flush.

    Raises what the flush would raise, with the session's transaction (or the
    SAVEPOINT it is in) rolled back as a failed flush leaves it.
    """
    session = own(session)
    if not _direct(session, mapper, obj):
        return False
    state = instance_state(obj)
    _read_only.refuse_changes(session, new=1)  # what the flush's own checks refuse, in the same order
    check_state(state, changed_only=False)
    try:
        connection = session.connection(bind_arguments={"mapper": mapper})
        for key, value in _insert(connection, mapper, obj):
            set_committed_value(obj, key, value)
        attach(session, obj)
    except BaseException:
        # As a failed flush (and after the INSERT too, so that no row the caller was
        # told failed can be committed).
        fail_as_flush(session)
        raise
    return True


def _direct(session: Session, mapper: Mapper[Any], obj: object) -> bool:
    """Whether ``obj`` can be inserted without the flush, leaving the session as the flush would."""
    if session.new or session.dirty or session.deleted:
        return False  # the flush orders the pending work with this row by foreign keys
    bind = session.get_bind(mapper=mapper)
    if not bind.dialect.insert_returning or not flushless(session, bind, mapper, obj):
        return False
    # An object already in the identity map under this primary key: the flush tells it best.
    values = instance_state(obj).dict
    identity = tuple(values.get(name) for name in primary_key_attributes(mapper))
    return None in identity or mapper.identity_key_from_primary_key(identity) not in session.identity_map


def _insert(connection: Connection, mapper: Mapper[Any], obj: object) -> list[tuple[str, Any]]:
    """Send the flush's INSERT for ``obj``; the attribute values it did not send, as the flush loads them."""
    params, expressions = flush_values(mapper, obj, connection)
    eager = reads_server_defaults(mapper, connection)
    lastrowid = bool(getattr(connection.dialect, "postfetch_lastrowid", False))  # DefaultDialect's
    if expressions:
        # SQL expressions are rendered into the statement and left unloaded, as a flush leaves them.
        rendered = tuple(str(column.key) for column in expressions)
        statement, loaded, returns = _statement(mapper, tuple(params), rendered, eager, lastrowid)
        result = connection.execute(statement.values(expressions), params)
        _forget(mapper, obj, rendered)
    else:
        # One statement per model and column set, its values bound: nothing to build or hash.
        statement, loaded, returns = memo(mapper, _statement, tuple(params), (), eager, lastrowid)
        result = connection.execute(statement, params)
    values = instance_state(obj).dict
    # What the flush sent but the object does not hold (a NULL it filled in) counts as loaded.
    filled = [
        (key, params[name]) for key, name in memo(mapper, _attributes_of, tuple(params)) if key not in values
    ]
    if not loaded:
        return filled
    if not returns:
        # The key alone, from the cursor's last row id, as the flush reads it (no result to fetch).
        key = result.inserted_primary_key
        assert key is not None  # a single-row INSERT
        return [*filled, (loaded[0][0], key[0])]
    row = result.one()
    sent = result.context.compiled_parameters[0]
    # A Python-side default is kept as computed, as the flush keeps it; the rest as returned.
    return filled + [(key, sent.get(str(column.key), row[i])) for i, (key, column) in enumerate(loaded)]


def _attributes_of(mapper: Mapper[Any], columns: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``(attribute, column key)`` of the mapped ``columns``."""
    return tuple(
        (prop.key, key) for prop in mapper.column_attrs if (key := str(prop.columns[0].key)) in columns
    )


def _statement(
    mapper: Mapper[Any], sent: tuple[str, ...], rendered: tuple[str, ...], eager: bool, lastrowid: bool
) -> tuple[Any, _Loaded, bool]:
    """The INSERT of ``mapper``'s row, returning the columns the flush would load that were not ``sent``.

    The primary key always: the flush reads a key the database made even when it reads no other default.
    Where that key is all there is to read and the driver tells the last row id (``lastrowid``: SQLite,
    MariaDB), no RETURNING, as the flush sends it: a result to fetch costs the async drivers a round trip.
    """
    table = table_of(mapper)
    assert table is not None  # checked by flushless()
    loaded = tuple(
        (prop.key, column)
        for prop in mapper.column_attrs
        if (column := prop.columns[0]).table is table
        and column.key not in sent
        # A SQL expression is read back where the flush asks for the column's defaults anyway.
        and (column.key not in rendered or (eager and _database_default(column)))
        and (eager or column.server_default is None or column.primary_key)
    )
    statement = insert(table)
    if lastrowid and len(loaded) == 1 and loaded[0][1] is table.autoincrement_column:
        return statement, loaded, False
    if loaded:
        statement = statement.returning(*(column for _, column in loaded))
    return statement, loaded, bool(loaded)


def _database_default(column: ColumnElement[Any]) -> bool:
    """Whether the database computes ``column``'s default: the columns a flush returns when eager.

    SQLAlchemy's ``Mapper._server_default_cols``: a server default, or a SQL expression as default.
    """
    default = getattr(column, "default", None)
    return getattr(column, "server_default", None) is not None or bool(default and default.is_clause_element)


def _forget(mapper: Mapper[Any], obj: object, columns: tuple[str, ...]) -> None:
    """Unload the attributes of ``columns``: read from the database when first used."""
    values = instance_state(obj).dict
    for prop in mapper.column_attrs:
        if prop.columns[0].key in columns:
            values.pop(prop.key, None)
