"""create_or_first in one round trip: ``INSERT .. ON CONFLICT DO NOTHING .. RETURNING``, or a plain INSERT.

Safe by construction, never by prediction: a failed statement must not cost the
caller's earlier work. SQLite undoes only the failed statement. PostgreSQL aborts
the whole transaction, so there the INSERT runs inside a SAVEPOINT sent in the same
round trip (``pipelined``: SAVEPOINT, INSERT, RELEASE, one sync); a
failure rolls back to the savepoint, whatever made the INSERT fail.

MariaDB (10.5+, InnoDB) has no ``ON CONFLICT DO NOTHING`` (``INSERT IGNORE`` would
turn NOT NULL, foreign key and truncation errors into warnings): the INSERT is a
plain ``INSERT .. RETURNING``, and a unique violation (error 1062) fails it. InnoDB
rolls a failed statement back by itself and keeps the transaction (statement
atomicity; the manual's "InnoDB Error Handling": a duplicate-key error, a row too
long, and the errors of the server layer roll back the statement), so no SAVEPOINT
is needed. A deadlock, and a lock wait timeout under ``innodb_rollback_on_timeout``,
roll back the whole transaction instead: the error propagates as on the SAVEPOINT
path, and the transaction guard refuses the COMMIT (``_guard``). On a conflict, the
caller reads the row back with a shared locking read, as on the SAVEPOINT path: two
statements where the key exists. ``INSERT .. ON DUPLICATE KEY UPDATE .. RETURNING``
would return an existing row in the same statement, but it locks that row
exclusively (the manual's "Locks Set by Different SQL Statements in InnoDB"; the
duplicate check of a plain INSERT and the re-read take shared locks): every unit
asking for the same existing row would wait for the one before it to end. Nor does
anything documented tell, in that statement, whether the row was inserted or was
there (the affected-rows count is not sent with a result set, and CLIENT_FOUND_ROWS,
which SQLAlchemy sets, counts a no-op update as 1, like an insert), and the caller's
object must be attached only when its row was inserted.

Used on SQLite, on PostgreSQL (psycopg) under READ COMMITTED, and on MariaDB
(PyMySQL), for models that rely on no ORM-side insert behaviour (mapper or session
flush events, relationships, inheritance, version counters). Everything else takes
the SAVEPOINT path. The object is built by the model's own constructor, as on the
SAVEPOINT path, then attached to the session as persistent with every column the
database returned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import Table
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import set_committed_value

from .. import _read_only
from .._backends import backend, driver
from .._mapping import memo
from .._session_like import SessionLike
from .._unflushed import attach, flush_values, flushless, own, table_of
from ..errors import ReadOnlyError
from .pipelined import IN_SAVEPOINT

__all__ = ["Values", "insert_or_nothing", "native_columns"]

_IN_SAVEPOINT: dict[str, Any] = {IN_SAVEPOINT: True}
_PLAIN: dict[str, Any] = {}


class Values(NamedTuple):
    """What a flush would send for an object, and the connection to send it on."""

    connection: Connection
    params: dict[str, Any]
    """Bound values by column key."""
    expressions: dict[Any, Any]
    """SQL expressions by column, rendered into the statement."""


def native_columns(session: SessionLike, mapper: Mapper[Any], obj: object) -> Values | None:
    """The values to insert natively for ``obj``, or None when the SAVEPOINT path is needed.

    The engine option ``execution_options={"datalayer_native_inserts": False}``
    turns the native path off.
    """
    bind = session.get_bind(mapper=mapper)
    facts = backend(bind.dialect)
    if facts.native_insert is None or driver(bind.dialect) not in facts.native_drivers:
        return None
    if not flushless(own(session), bind, mapper, obj):
        return None  # the flush must see the object, as on the SAVEPOINT path
    connection = session.connection(bind_arguments={"mapper": mapper})
    if not connection.dialect.insert_returning:
        return None  # MySQL, MariaDB before 10.5: known once the engine has connected
    if facts.native_only_at_read_committed and _isolation(connection) != "READ COMMITTED":
        # Under snapshot isolation a conflict with an invisible row is a serialization
        # failure; the SAVEPOINT path tells it as StaleConflictError.
        return None
    return Values(connection, *flush_values(mapper, obj, connection))


def insert_or_nothing(session: SessionLike, mapper: Mapper[Any], obj: object, values: Values) -> bool:
    """Insert ``obj``'s row unless a unique key holds it, and attach ``obj`` as persistent.

    Returns False, inserting nothing, when a unique key already holds the row;
    where the database has no ``ON CONFLICT DO NOTHING`` (MariaDB), the unique
    violation propagates as the IntegrityError instead. Any other failure
    propagates with the caller's transaction intact (but after a deadlock, which
    rolls it back on MariaDB).
    """
    if session.info.get(_read_only.READ_ONLY):
        raise ReadOnlyError("a read-only unit of work cannot write")
    connection, params, expressions = values
    facts = backend(connection.dialect)
    native_insert = facts.native_insert
    assert native_insert is not None  # checked by native_columns
    options = _IN_SAVEPOINT if facts.native_in_savepoint else _PLAIN
    if expressions:
        # A SQL expression as a value is rendered into the statement, as a flush does.
        statement = _insert_statement(mapper, native_insert, facts.on_duplicate_key).values(expressions)
    else:
        # One statement per model and backend, its values bound: no statement to build
        # and no cache key to work out on every call.
        statement = memo(mapper, _insert_statement, native_insert, facts.on_duplicate_key)
    # On the session's connection, as a flush sends its INSERT: no ORM execution to set up.
    returned = connection.execute(statement, params, execution_options=options).mappings().first()
    if returned is None:
        return False
    for key, column in memo(mapper, _loaded):
        set_committed_value(obj, key, returned[column])
    attach(own(session), obj)
    return True


def _loaded(mapper: Mapper[Any]) -> tuple[tuple[str, Any], ...]:
    """The table's own columns, read back into the attributes that map them.

    SQL expressions (column_property) stay unloaded and load when first used.
    """
    table = table_of(mapper)
    return tuple(
        (prop.key, prop.columns[0]) for prop in mapper.column_attrs if prop.columns[0].table is table
    )


def _insert_statement(mapper: Mapper[Any], native_insert: Callable[[Table[Any]], Any], fails: bool) -> Any:
    """``INSERT INTO <table> .. ON CONFLICT DO NOTHING RETURNING <every column>`` for ``mapper``'s table.

    ``fails``: no ``ON CONFLICT DO NOTHING`` (MariaDB), a conflict fails the INSERT.
    Typed Any: the dialects' Insert (``on_conflict_do_nothing``, ``returning``) is untyped.
    """
    table = table_of(mapper)
    assert table is not None  # checked by native_columns
    statement = native_insert(table)
    if not fails:
        statement = statement.on_conflict_do_nothing()
    return statement.returning(*table.columns)


def _isolation(connection: Connection) -> str | None:
    level = connection.get_execution_options().get("isolation_level") or connection.default_isolation_level
    return str(level) if level is not None else None
