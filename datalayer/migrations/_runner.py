"""The environment that the shipped ``env.py`` runs: in process, on the Database the Config carries.

The upgrade lock (``_lock``) is taken on the connection the migration runs on,
before its current revision is read. Each revision runs in a transaction of
its own (``transaction_per_migration``), with the ``alembic_version`` row it
moves: where DDL is transactional (PostgreSQL, SQLite) a revision that fails
leaves nothing of it behind, and the revisions before it stay applied.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Generator, Mapping
from typing import Any

import attrs
from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from sqlalchemy import Connection
from sqlalchemy.engine import Dialect

from .._backends import driver
from ..database import Database
from ..errors import MigrationError
from ._lock import upgrade_lock
from ._tidy import same_server_default, without_index_drops_of_dropped_tables

__all__ = ["STATE", "RunState", "run_environment"]

STATE = "datalayer.migrations"
"""The key of :class:`RunState` in the Config's ``attributes``."""

_LOCKING = frozenset({"upgrade", "downgrade", "stamp"})
_FOREIGN_KEYS_OFF = "PRAGMA foreign_keys = OFF"
_FOREIGN_KEYS_ON = "PRAGMA foreign_keys = ON"
_FOREIGN_KEY_CHECK = "PRAGMA foreign_key_check"


@attrs.frozen
class RunState:
    """What one command runs on: the Database, what for, and how long to wait for the lock."""

    database: Database
    purpose: str = "upgrade"
    lock_timeout: float = 300.0


def run_environment() -> None:
    """Run Alembic's command on the Database of the Config (called by the shipped ``env.py``)."""
    state = context.config.attributes.get(STATE)
    if not isinstance(state, RunState):
        raise MigrationError(
            "this Alembic environment runs datalayer's migrations: run them with "
            "datalayer.migrations.Migrations or the `datalayer db` command"
        )
    if context.is_offline_mode():
        raise MigrationError("migrations run on a connection to the database: offline SQL is not supported")
    script = context.script
    with state.database.engine.connect() as connection:
        lock = upgrade_lock(connection, state.lock_timeout) if state.purpose in _LOCKING else _nothing()
        with lock, _sqlite_foreign_keys_off(connection):
            current = MigrationContext.configure(connection).get_current_heads()
            connection.commit()
            if state.purpose != "stamp":  # stamp() is how a database at an unknown revision is repaired
                _refuse_unknown(current, script)
            if state.purpose == "revision":
                _refuse_behind(current, script)
            context.configure(
                connection=connection,
                target_metadata=state.database.metadata,
                on_version_apply=_sqlite_foreign_key_check if _is_sqlite(connection.dialect) else None,
                process_revision_directives=without_index_drops_of_dropped_tables,
                **options(connection.dialect),
            )
            with context.begin_transaction():
                context.run_migrations()
            if connection.in_transaction():
                connection.rollback()  # only reads are left: every revision committed its own transaction


def options(dialect: Dialect) -> dict[str, Any]:
    """The MigrationContext options of every command: what autogenerate compares, and the transactions."""
    sqlite = _is_sqlite(dialect)
    found: dict[str, Any] = {
        "compare_type": True,
        "compare_server_default": same_server_default,  # Alembic's comparison, less its false alarms
        "render_as_batch": sqlite,  # SQLite alters most things by copying the table
        "transaction_per_migration": True,
    }
    if sqlite and driver(dialect) == "pysqlite":
        found["transactional_ddl"] = True  # datalayer's engine emits BEGIN: SQLite's DDL is transactional
    return found


def _refuse_unknown(current: tuple[str, ...], script: ScriptDirectory) -> None:
    for revision in current:
        try:
            script.revision_map.get_revision(revision)
        except RevisionError as exc:
            raise MigrationError(
                f"the database is at revision {revision}, which {_where(script)} does not have: it was "
                "migrated by newer code. Run that code's migrations (or add its revision files here); if "
                "the revision was removed on purpose, stamp() the database with the revision its schema "
                "matches"
            ) from exc


def _refuse_behind(current: tuple[str, ...], script: ScriptDirectory) -> None:
    heads = script.get_heads()
    if set(current) != set(heads):
        at = ", ".join(current) or "base (no revision applied)"
        raise MigrationError(
            f"the database is at {at}, not at the head revision {', '.join(heads)}: upgrade() it first, "
            "so that the new revision holds only the changes made since the head"
        )


def _where(script: ScriptDirectory) -> str:
    return ", ".join(str(location) for location in script.version_locations) or "the migrations directory"


def _is_sqlite(dialect: Dialect) -> bool:
    return dialect.name == "sqlite"


@contextlib.contextmanager
def _nothing() -> Generator[None]:
    yield


@contextlib.contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Generator[None]:
    """On SQLite, foreign keys unenforced while tables are copied, checked at each revision's end."""
    if not _is_sqlite(connection.dialect) or driver(connection.dialect) != "pysqlite":
        yield
        return
    raw: Any = connection.connection.driver_connection  # outside any transaction, where the PRAGMA counts
    raw.execute(_FOREIGN_KEYS_OFF)
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()
        try:
            raw.execute(_FOREIGN_KEYS_ON)
        except Exception:
            connection.invalidate()  # never back to the pool with foreign keys off
            raise


def _sqlite_foreign_key_check(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    """Refuse a revision that leaves rows whose foreign keys point nowhere; its transaction rolls back."""
    assert ctx.connection is not None
    broken = ctx.connection.exec_driver_sql(_FOREIGN_KEY_CHECK).all()
    if broken:
        tables = ", ".join(sorted({str(row[0]) for row in broken}))
        done = "upgrade" if step.is_upgrade else "downgrade"
        raise MigrationError(
            f"the {done} of revision {step.up_revision_id} leaves rows in {tables} whose foreign keys "
            "point to no row: nothing of it was applied; fix the revision (move or delete those rows in it)"
        )
