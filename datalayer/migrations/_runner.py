"""The environment that the shipped ``env.py`` runs: in process, on the Database the Config carries.

The upgrade lock (``_lock``) is taken on the connection the migration runs on,
before its current revision is read. Each revision runs in a transaction of
its own (``transaction_per_migration``), with the ``alembic_version`` row it
moves: where DDL is transactional (PostgreSQL, SQLite) a revision that fails
leaves nothing of it behind, and the revisions before it stay applied.

Offline (``sql=True`` given to Alembic's command), the revisions' SQL is written
to standard output instead, rendered for the Database's dialect; nothing is
read from or sent to the database.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

import attrs
from alembic import context
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from sqlalchemy.engine import Dialect

from .._backends import driver
from ..database import Database
from ..errors import MigrationError
from ._lock import upgrade_lock
from ._sqlite_keys import foreign_key_check, foreign_keys_off
from ._tidy import same_server_default, without_index_drops_of_dropped_tables

__all__ = ["STATE", "RunState", "run_environment"]

STATE = "datalayer.migrations"
"""The key of :class:`RunState` in the Config's ``attributes``."""

_LOCKING = frozenset({"upgrade", "downgrade", "stamp"})


@attrs.frozen
class RunState:
    """What one command runs on: the Database, what for, and how long to wait for the lock.

    ``arguments`` are given to each revision's ``upgrade()`` or ``downgrade()``;
    ``template`` is the directory whose ``script.py.mako`` a new revision is
    written from (by default the shipped one).
    """

    database: Database
    purpose: str = "upgrade"
    lock_timeout: float = 300.0
    arguments: Mapping[str, Any] = attrs.field(factory=dict[str, Any])
    template: Path | None = None


def run_environment() -> None:
    """Run Alembic's command on the Database of the Config (called by the shipped ``env.py``)."""
    state = context.config.attributes.get(STATE)
    if not isinstance(state, RunState):
        raise MigrationError(
            "this Alembic environment runs datalayer's migrations: run them with "
            "datalayer.migrations.Migrations or the `datalayer db` command"
        )
    script = context.script
    if state.template is not None:  # env.py is loaded: Alembic reads only the template from here on
        script.dir = str(state.template)
    if context.is_offline_mode() or state.purpose == "empty revision":
        # An empty revision reads nothing: loaded for the template alone, it sends no SQL.
        _run_offline(state)
        return
    with state.database.engine.connect() as connection:
        lock = upgrade_lock(connection, state.lock_timeout) if state.purpose in _LOCKING else _nothing()
        with lock, foreign_keys_off(connection):
            current = MigrationContext.configure(connection).get_current_heads()
            connection.commit()
            if state.purpose != "stamp":  # stamp() is how a database at an unknown revision is repaired
                _refuse_unknown(current, script)
            if state.purpose == "revision":
                _refuse_behind(current, script)
            context.configure(
                connection=connection,
                target_metadata=state.database.metadata,
                on_version_apply=foreign_key_check if _is_sqlite(connection.dialect) else None,
                process_revision_directives=without_index_drops_of_dropped_tables,
                **options(connection.dialect),
            )
            with context.begin_transaction():
                context.run_migrations(**state.arguments)
            if connection.in_transaction():
                connection.rollback()  # only reads are left: every revision committed its own transaction


def _run_offline(state: RunState) -> None:
    """Write the SQL of the revisions to standard output, rendered for the Database's dialect."""
    engine = state.database.engine
    context.configure(
        url=engine.url,
        as_sql=True,
        dialect_opts={"paramstyle": "named"},
        literal_binds=True,
        target_metadata=state.database.metadata,
        **options(engine.dialect),
    )
    with context.begin_transaction():
        context.run_migrations(**state.arguments)


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
