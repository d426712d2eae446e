"""Typing checks of the migrations API: read by mypy and pyright (strict) in CI, never run.

Each ``assert_type`` fails the type check if the library's annotations lose precision.
"""

from __future__ import annotations

from pathlib import Path
from typing import assert_type

from alembic.config import Config
from alembic.script import Script, ScriptDirectory

from datalayer import Database
from datalayer.errors import DatalayerError, MigrationError
from datalayer.migrations import Alembic, Migrations
from datalayer.testing import assert_migrations_round_trip


def check_migrations(db: Database) -> None:
    migrations = Migrations(db, Path("migrations"), lock_timeout=10)
    assert_type(Migrations(db), Migrations)
    assert_type(migrations.directory, Path)
    assert_type(migrations.revision("add users"), str)
    assert_type(migrations.revision("data fix", empty=True), str)
    assert_type(migrations.upgrade(), None)
    assert_type(migrations.downgrade("base"), None)
    assert_type(migrations.stamp("head"), None)
    assert_type(migrations.current(), str | None)
    assert_type(migrations.head(), str | None)
    assert_type(migrations.history(), list[str])
    assert_type(migrations.check(), list[str])
    assert_type(migrations.config(), Config)
    assert_type(assert_migrations_round_trip(migrations), None)
    try:
        migrations.upgrade()
    except MigrationError as error:
        assert_type(error, MigrationError)
        handle(error)  # a DatalayerError


def check_alembic(db: Database) -> None:
    alembic = Alembic(db, "db/migrations", file_template="%%(rev)s_%%(slug)s")
    assert_type(Alembic(db), Alembic)
    assert_type(alembic.path, Path)
    assert_type(alembic.config, Config)
    assert_type(alembic.script_directory, ScriptDirectory)
    assert_type(alembic.migrations.check(), list[str])  # Migrations' other methods
    assert_type(alembic.revision("add users"), Script)
    assert_type(alembic.revision("data fix", empty=True, parent="head"), Script)
    assert_type(alembic.upgrade(), None)
    assert_type(alembic.upgrade(":head", sql=True), None)
    assert_type(alembic.downgrade(-2), None)
    assert_type(alembic.downgrade("base"), None)
    assert_type(alembic.stamp("head", purge=True), None)
    assert_type(alembic.get_current(), Script | None)
    assert_type(alembic.get_head(), Script | None)
    assert_type(alembic.get_history(start="current"), list[Script])
    assert_type(alembic.rev_id(), str)
    assert_type(alembic.create_all(), None)


def handle(error: DatalayerError) -> None:
    """Takes any of datalayer's errors."""
