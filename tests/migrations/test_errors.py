"""Each way migrations cannot run raises a MigrationError that names the problem and the fix."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest
from alembic.util import CommandError
from sqlalchemy import create_engine, text

from datalayer import Database
from datalayer.errors import DatalayerError, MigrationError
from datalayer.migrations import Migrations
from tests.migrations.conftest import Where, define_users, fresh_url, write_revision


@pytest.mark.parametrize("action", ["upgrade", "downgrade", "stamp", "check"])
def test_a_missing_migrations_directory_is_named_with_how_to_create_it(where: Where, action: str) -> None:
    migrations = where.migrations()
    with pytest.raises(
        MigrationError, match=r"there is no migrations directory .*migrations\. Create the first"
    ):
        getattr(migrations, action)()
    assert isinstance(MigrationError("x"), DatalayerError)


@pytest.mark.parametrize("action", ["upgrade", "downgrade", "check"])
def test_a_directory_without_revisions_is_named_with_how_to_create_one(where: Where, action: str) -> None:
    where.directory.mkdir()
    with pytest.raises(MigrationError, match=r"holds no revision\. Create one with Migrations\.revision"):
        getattr(where.migrations(), action)()


def test_an_unknown_target_revision_lists_the_known_ones(where: Where) -> None:
    migrations = where.migrations()
    first = migrations.revision("one", empty=True)
    second = migrations.revision("two", empty=True)

    with pytest.raises(
        MigrationError, match=rf"no revision 'nosuch' in .*\({second}, {first}, newest first\)"
    ) as raised:
        migrations.upgrade("nosuch")
    assert isinstance(raised.value.__cause__, CommandError)
    with pytest.raises(MigrationError, match="no revision 'nosuch@head'"):
        migrations.downgrade("nosuch@head")
    assert migrations.current() is None


def test_a_database_ahead_of_the_code_is_refused(where: Where) -> None:
    migrations = where.migrations()
    migrations.revision("one", empty=True)
    newer = migrations.revision("two", empty=True)
    migrations.upgrade()
    next(where.directory.glob(f"*{newer}_two.py")).unlink()  # the code of an older release

    for action in (migrations.upgrade, migrations.downgrade, migrations.revision):
        with pytest.raises(
            MigrationError, match=rf"the database is at revision {newer}, which .* does not have"
        ):
            action("x") if action == migrations.revision else action()
    assert migrations.current() == newer


def test_several_heads_are_refused_with_how_to_join_them(where: Where) -> None:
    write_revision(where.directory, "aaa", None, "pass")
    write_revision(where.directory, "bbb", "aaa", "pass")
    write_revision(where.directory, "ccc", "aaa", "pass")
    migrations = where.migrations()

    for action in (migrations.upgrade, migrations.head, migrations.check, lambda: migrations.revision("x")):
        with pytest.raises(MigrationError, match=r"several head revisions \(bbb, ccc\).*down_revision"):
            action()
    assert migrations.current() is None


def test_a_revision_is_refused_while_the_database_is_behind_the_head(where: Where) -> None:
    define_users(where.db)
    migrations = where.migrations()
    head = migrations.revision("add users")

    with pytest.raises(
        MigrationError, match=rf"at base \(no revision applied\), not at the head revision {head}: upgrade"
    ):
        migrations.revision("again")
    assert migrations.history() == [head]


def test_check_is_refused_while_the_database_is_behind_the_head(where: Where) -> None:
    define_users(where.db)
    migrations = where.migrations()
    head = migrations.revision("add users")

    with pytest.raises(
        MigrationError, match=rf"cannot check: .* not at the head revision {head}: upgrade\(\) it first"
    ):
        migrations.check()


def test_downgrade_below_base_fails_with_alembics_reason_chained(where: Where) -> None:
    migrations = where.migrations()
    migrations.revision("one", empty=True)

    with pytest.raises(MigrationError, match=r"cannot downgrade to '-1': ") as raised:
        migrations.downgrade()
    assert isinstance(raised.value.__cause__, CommandError)


def test_an_error_of_a_revision_itself_is_not_swallowed(where: Where) -> None:
    write_revision(where.directory, "aaa", None, "raise ZeroDivisionError('in the revision')")
    with pytest.raises(ZeroDivisionError, match="in the revision"):
        where.migrations().upgrade()


def test_an_upgrade_waits_for_the_lock_and_names_it_when_held_too_long(where: Where) -> None:
    write_revision(
        where.directory,
        "aaa",
        None,
        "op.create_table('things', sa.Column('id', sa.Integer, primary_key=True))",
    )
    migrations = where.migrations(lock_timeout=0.5)
    with _lock_held(where):
        with pytest.raises(
            MigrationError, match=r"another process held the migrations lock for more than 0\.5 seconds"
        ):
            migrations.upgrade()
        assert "things" not in where.tables()
    migrations.upgrade()  # released: it runs
    assert "things" in where.tables()


def test_the_lock_of_one_database_does_not_hold_up_another(where: Where, tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    for url in fresh_url(where.backend, tmp_path / "other"):
        other = Database(url)
        try:
            write_revision(where.directory, "aaa", None, "pass")
            with _lock_held(where):
                Migrations(other, where.directory, lock_timeout=0.5).upgrade()
            assert Migrations(other, where.directory).current() == "aaa"
        finally:
            other.dispose()


class _lock_held:
    """The migrations lock of ``where``'s database, held by another connection (or process, for SQLite)."""

    def __init__(self, where: Where) -> None:
        self.where = where
        self.engine = create_engine(where.url)

    def __enter__(self) -> None:
        backend = self.where.backend
        if backend == "sqlite":
            self.file = open(f"{self.where.url.removeprefix('sqlite:///')}.migrations.lock", "a")
            fcntl.flock(self.file.fileno(), fcntl.LOCK_EX)
            return
        self.connection = self.engine.connect()
        if backend == "postgresql":
            self.connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": 0x646C_6D69_6772_6174})
        else:
            sql = "SELECT GET_LOCK(CONCAT('datalayer_migrations:', MD5(DATABASE())), 0)"
            assert self.connection.execute(text(sql)).scalar() == 1
        self.connection.commit()

    def __exit__(self, *_exc: object) -> None:
        if self.where.backend == "sqlite":
            self.file.close()
        else:
            self.connection.close()
        self.engine.dispose()
