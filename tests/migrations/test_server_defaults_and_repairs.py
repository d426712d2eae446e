"""Server defaults the database spells its own way, empty targets, and repairing an unknown revision."""

from __future__ import annotations

import pytest
from sqlalchemy import Boolean, String, false, text, true
from sqlalchemy.orm import Mapped, mapped_column

from datalayer import Database
from datalayer.errors import MigrationError
from tests.migrations.conftest import Where


def define_defaults(db: Database, *, default: str = "it's") -> None:
    class Setting(db.Model):
        __tablename__ = "settings"
        id: Mapped[int] = mapped_column(primary_key=True)
        note: Mapped[str] = mapped_column(String(20), server_default=default)
        on: Mapped[bool] = mapped_column(Boolean, server_default=true())
        off: Mapped[bool] = mapped_column(Boolean, server_default=false())


def test_quoted_and_boolean_server_defaults_match_after_an_upgrade(where: Where) -> None:
    define_defaults(where.db)
    migrations = where.migrations()
    migrations.revision("settings")
    migrations.upgrade()
    assert migrations.check() == []


def test_a_changed_string_default_with_a_quote_is_reported_not_sent_as_broken_sql(where: Where) -> None:
    define_defaults(where.db)
    where.migrated("settings")
    define_defaults(where.db, default="it is")
    differences = where.migrations().check()
    assert len(differences) == 1 and "settings.note" in differences[0]


def test_stamp_repairs_a_database_at_a_revision_the_directory_does_not_have(where: Where) -> None:
    define_defaults(where.db)
    migrations = where.migrations()
    head = migrations.revision("settings")
    migrations.upgrade()
    with where.db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'deadbeef0000'"))
    with pytest.raises(MigrationError, match=r"deadbeef0000.*stamp"):
        migrations.upgrade()

    migrations.stamp("head")

    assert migrations.current() == head
    migrations.upgrade()  # nothing left to do, and no error
    assert migrations.check() == []


@pytest.mark.parametrize("target", ["", "  "])
def test_an_empty_target_is_refused_with_what_to_give(where: Where, target: str) -> None:
    define_defaults(where.db)
    migrations = where.migrations()
    migrations.revision("settings")
    for move in (migrations.upgrade, migrations.downgrade, migrations.stamp):
        with pytest.raises(MigrationError, match="give a target revision"):
            move(target)


def test_a_file_in_the_directory_that_is_no_revision_is_named_in_a_migration_error(where: Where) -> None:
    define_defaults(where.db)
    migrations = where.migrations()
    migrations.revision("settings")
    (where.directory / "notes.py").write_text("# not a revision\n")
    for action in (migrations.head, migrations.history, migrations.upgrade, migrations.check):
        with pytest.raises(MigrationError, match=r"cannot read the revisions in .*notes\.py"):
            action()
