"""create_or_first in one round trip: ``INSERT .. ON CONFLICT DO NOTHING .. RETURNING``.

Safe by construction, never by prediction: a failed statement must not cost the
caller's earlier work. SQLite undoes only the failed statement. PostgreSQL aborts
the whole transaction, so there the INSERT runs inside a SAVEPOINT sent in the same
round trip (psycopg's pipeline mode: SAVEPOINT, INSERT, RELEASE, one sync); a
failure rolls back to the savepoint, whatever made the INSERT fail.

Used on SQLite, and on PostgreSQL (psycopg) under READ COMMITTED, for models that
rely on no ORM-side insert behaviour (mapper or session flush events,
relationships, inheritance, version counters). Everything else takes the SAVEPOINT
path. The object is built by the model's own constructor, as on the SAVEPOINT path,
then attached to the session as persistent with every column the database returned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapper, scoped_session
from sqlalchemy.orm.attributes import instance_dict, instance_state, set_committed_value
from sqlalchemy.orm.session import make_transient_to_detached

from .. import _flush_checks, _read_only
from .._backends import backend, driver
from .._mapping import is_sql, memo
from .._session_like import SessionLike
from ..errors import ReadOnlyError

__all__ = ["IN_SAVEPOINT", "NATIVE_OPTION", "insert_or_nothing", "install", "native_columns"]

NATIVE_OPTION = "datalayer_native_inserts"
IN_SAVEPOINT = "datalayer_in_savepoint"  # execution option: send the statement inside a pipelined SAVEPOINT
_SAVEPOINT = "SAVEPOINT datalayer_insert"
_RELEASE = "RELEASE SAVEPOINT datalayer_insert"
_PREPARED_STATEMENT_GONE = "26000"  # invalid_sql_statement_name
_UNDO = b"ROLLBACK TO SAVEPOINT datalayer_insert; RELEASE SAVEPOINT datalayer_insert"
# Session events the native path would skip or see differently from a flush.
_SESSION_EVENTS = (
    "before_flush",
    "after_flush",
    "after_flush_postexec",
    "transient_to_pending",
    "pending_to_persistent",
    "detached_to_persistent",
)
_OWN_LISTENERS = frozenset({_flush_checks.check_flush})


def install(engine: Engine) -> None:
    """Make ``engine`` able to run the native path (PostgreSQL on psycopg: the pipelined SAVEPOINT)."""
    facts = backend(engine.dialect)
    if facts.native_in_savepoint and driver(engine.dialect) in facts.native_drivers:
        event.listen(engine, "do_execute", _execute_in_savepoint)


def native_columns(session: SessionLike, mapper: Mapper[Any], obj: object) -> dict[str, Any] | None:
    """The column values to insert natively for ``obj``, or None when the SAVEPOINT path is needed.

    The engine option ``execution_options={"datalayer_native_inserts": False}``
    turns the native path off.
    """
    bind = session.get_bind(mapper=mapper)
    facts = backend(bind.dialect)
    if facts.native_insert is None or driver(bind.dialect) not in facts.native_drivers:
        return None
    if not bind.get_execution_options().get(NATIVE_OPTION, True) or not _ormless(mapper):
        return None
    if _has_flush_listeners(session):
        return None  # the flush events must see the object, as on the SAVEPOINT path
    if facts.native_only_at_read_committed and _isolation(session, mapper) != "READ COMMITTED":
        # Under snapshot isolation a conflict with an invisible row is a serialization
        # failure; the SAVEPOINT path tells it as StaleConflictError.
        return None
    state = instance_dict(obj)
    if any(relationship.key in state for relationship in mapper.relationships):
        return None  # cascades and foreign keys from related objects belong to the flush
    values: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if prop.key in state and not (state[prop.key] is None and column.primary_key):
            values[column.key] = state[prop.key]
    return values


def insert_or_nothing(session: SessionLike, mapper: Mapper[Any], obj: object, values: dict[str, Any]) -> bool:
    """Insert ``obj``'s row unless a unique key holds it, and attach ``obj`` as persistent.

    Returns False, inserting nothing, when a unique key already holds the row. Any
    other failure propagates with the caller's transaction intact.
    """
    if session.info.get(_read_only.READ_ONLY):
        raise ReadOnlyError("a read-only unit of work cannot write")
    table = _table(mapper)
    assert table is not None
    # The table's own columns, read back into the attributes that map them; SQL
    # expressions (column_property) stay unloaded and load when first used.
    loaded = [(prop.key, prop.columns[0]) for prop in mapper.column_attrs if prop.columns[0].table is table]
    facts = backend(session.get_bind(mapper=mapper).dialect)
    native_insert = facts.native_insert
    assert native_insert is not None  # checked by native_columns
    options = {IN_SAVEPOINT: True} if facts.native_in_savepoint else {}
    if any(is_sql(value) for value in values.values()):
        # A SQL expression as a value is rendered into the statement, as a flush does.
        statement = _insert_statement(mapper, native_insert).values(values)
        returned = session.execute(statement, execution_options=options).mappings().first()
    else:
        # One statement per model and backend, its values bound: no statement to build
        # and no cache key to work out on every call.
        statement = memo(mapper, _insert_statement, native_insert)
        returned = session.execute(statement, values, execution_options=options).mappings().first()
    if returned is None:
        return False
    for key, column in loaded:
        set_committed_value(obj, key, returned[column])
    make_transient_to_detached(obj)
    session.add(obj)
    _inserted_in_this_transaction(session, obj)
    return True


def _insert_statement(mapper: Mapper[Any], native_insert: Callable[[Table[Any]], Any]) -> Any:
    """``INSERT INTO <table> .. ON CONFLICT DO NOTHING RETURNING <every column>`` for ``mapper``'s table.

    Typed Any: the dialects' Insert (``on_conflict_do_nothing``, ``returning``) is untyped.
    """
    table = _table(mapper)
    assert table is not None  # checked by native_columns
    return native_insert(table).on_conflict_do_nothing().returning(*table.columns)


def _inserted_in_this_transaction(session: SessionLike, obj: object) -> None:
    """Have a rollback of the current transaction (or savepoint) forget ``obj``, as after a flushed INSERT.

    Attached as detached-to-persistent, the object would stay in the identity map
    after a rollback as a row that was never there: expired, failing when read, and
    in the way of a new object that gets its primary key.
    """
    own = session() if isinstance(session, scoped_session) else session
    transaction = own.get_nested_transaction() or own.get_transaction()
    if transaction is not None:
        # SessionTransaction._new: the objects a rollback of that transaction expunges,
        # as Session._register_persistent records them for a flush; no public equivalent.
        transaction._new[instance_state(obj)] = True  # pyright: ignore[reportPrivateUsage]


def _execute_in_savepoint(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
    """``do_execute`` listener: SAVEPOINT, the statement and RELEASE in one round trip (psycopg)."""
    connection = cursor.connection
    if not context.execution_options.get(IN_SAVEPOINT) or connection.autocommit:
        return False  # under AUTOCOMMIT the statement is a transaction of its own: nothing to protect
    with connection.cursor() as control:
        failure = _pipelined(connection, control, cursor, statement, parameters, prepare=None)
        if failure is not None and getattr(failure, "sqlstate", None) == _PREPARED_STATEMENT_GONE:
            # psycopg believed the statement prepared on the server, which no longer has it:
            # undo the savepoint and send it once more, unprepared.
            _undo(connection, failure)
            failure = _pipelined(connection, control, cursor, statement, parameters, prepare=False)
    if failure is None:
        return True
    _undo(connection, failure)
    raise failure


def _undo(connection: Any, failure: Exception) -> None:
    """Roll back to the pipelined savepoint, straight through libpq.

    psycopg would first send the upkeep of its prepared statements, which the
    aborted transaction refuses, and the rollback would never be sent. Should it
    fail, the transaction stays aborted and its COMMIT is refused (see _guard).
    """
    try:
        connection.pgconn.exec_(_UNDO)
    except Exception as undo_failure:  # a lost connection: the statement's own failure tells it best
        failure.add_note(f"datalayer: rolling back to the savepoint failed too: {undo_failure!r}")


def _pipelined(
    connection: Any, control: Any, cursor: Any, statement: str, parameters: Any, *, prepare: bool | None
) -> Exception | None:
    """Send SAVEPOINT, the statement and RELEASE in one pipeline; the statement's failure, if any."""
    failure: Exception | None = None
    try:
        with connection.pipeline():
            try:
                # Never prepared: a SAVEPOINT that failed on a prepared statement the server
                # lost would leave nothing to roll back to.
                control.execute(_SAVEPOINT, prepare=False)
                cursor.execute(statement, parameters, prepare=prepare)
                control.execute(_RELEASE, prepare=False)
            except Exception as error:  # from the server, or a value the driver cannot send
                failure = error
    except Exception as error:  # the statement's failure, or the pipeline aborted after it
        failure = failure or error
    return failure


def _has_flush_listeners(session: SessionLike) -> bool:
    dispatch = (session() if isinstance(session, scoped_session) else session).dispatch
    return any(
        listener not in _OWN_LISTENERS for name in _SESSION_EVENTS for listener in getattr(dispatch, name)
    )


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
