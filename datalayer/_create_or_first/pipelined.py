"""PostgreSQL (psycopg): a statement inside a SAVEPOINT, all in one round trip (pipeline mode).

A failed statement aborts PostgreSQL's whole transaction; sent between SAVEPOINT
and RELEASE in one pipeline, its failure is rolled back to the savepoint instead,
whatever made it fail, at no extra round trip. Statements ask for it with the
execution option :data:`IN_SAVEPOINT` (create_or_first's INSERT and re-read);
elsewhere the option is ignored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .._backends import backend, driver

__all__ = ["IN_SAVEPOINT", "install"]

IN_SAVEPOINT = "datalayer_in_savepoint"  # execution option: send the statement inside a pipelined SAVEPOINT
_SAVEPOINT = "SAVEPOINT datalayer_insert"
_RELEASE = "RELEASE SAVEPOINT datalayer_insert"
_PREPARED_STATEMENT_GONE = "26000"  # invalid_sql_statement_name
_UNDO = b"ROLLBACK TO SAVEPOINT datalayer_insert; RELEASE SAVEPOINT datalayer_insert"


def install(engine: Engine) -> None:
    """Make ``engine`` able to run the native path (PostgreSQL on psycopg: the pipelined SAVEPOINT)."""
    facts = backend(engine.dialect)
    if facts.native_in_savepoint and driver(engine.dialect) in facts.native_drivers:
        event.listen(engine, "do_execute", _execute_in_savepoint)


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
