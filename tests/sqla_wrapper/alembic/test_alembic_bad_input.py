"""Alembic(db, path) refuses wrong input with an error that names it, before anything is written."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from datalayer import Database
from datalayer.errors import MigrationError, UsageError
from datalayer.migrations import Alembic
from tests.migrations.conftest import write_revision


@pytest.fixture
def db() -> Iterator[Database]:
    made = Database("sqlite://")
    yield made
    made.dispose()


@pytest.mark.parametrize("setting", ["script_location", "version_locations"])
def test_a_setting_that_would_move_the_revision_files_is_refused_by_name(
    db: Database, tmp_path: Path, setting: str
) -> None:
    with pytest.raises(
        UsageError, match=rf"{setting}=\.\.\.\): the revision files are in path; leave {setting}"
    ):
        Alembic(db, tmp_path, **{setting: str(tmp_path / "elsewhere")})


def test_a_setting_that_is_not_text_is_refused_with_the_text_to_give(db: Database, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"truncate_slug_length=20\): give the setting as text: '20'"):
        Alembic(db, tmp_path, truncate_slug_length=20)  # type: ignore[arg-type]


def test_a_lone_percent_in_a_setting_is_refused_with_how_to_write_it(db: Database, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"file_template='%\(rev\)s_%\(slug\)s': .*write a % as %%"):
        Alembic(db, tmp_path, file_template="%(rev)s_%(slug)s")


def test_a_path_that_is_a_file_is_refused_by_name(db: Database, tmp_path: Path) -> None:
    (tmp_path / "migrations").write_text("not a directory")
    with pytest.raises(MigrationError, match=r"cannot make the migrations directory .*migrations: a file"):
        Alembic(db, tmp_path / "migrations")


@pytest.mark.parametrize("action", ["upgrade", "downgrade"])
def test_a_range_without_sql_is_a_value_error_saying_what_ranges_are_for(
    db: Database, tmp_path: Path, action: str
) -> None:
    alembic = Alembic(db, tmp_path)
    with pytest.raises(ValueError, match=rf"{action}\('a:b'\): a 'from:to' range is for sql=True"):
        getattr(alembic, action)("a:b")


@pytest.mark.parametrize(("action", "target"), [("upgrade", "head"), ("downgrade", "-1")])
def test_sql_without_a_range_is_a_value_error_asking_for_one(
    db: Database, tmp_path: Path, action: str, target: str
) -> None:
    alembic = Alembic(db, tmp_path)
    with pytest.raises(ValueError, match=rf"{action}\('{target}', sql=True\) .* give it as 'from:to'"):
        getattr(alembic, action)(target, sql=True)


def test_downgrading_by_zero_revisions_is_a_value_error(db: Database, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"downgrade\(0\) undoes nothing"):
        Alembic(db, tmp_path).downgrade(0)


def test_an_unknown_target_is_a_migration_error_listing_the_known_revisions(
    db: Database, tmp_path: Path
) -> None:
    alembic = Alembic(db, tmp_path)
    first = alembic.revision("one", empty=True)
    for move in (alembic.upgrade, alembic.downgrade, alembic.stamp):
        with pytest.raises(MigrationError, match=rf"no revision 'nosuch' in .*\({first.revision}, newest"):
            move("nosuch")
    with pytest.raises(MigrationError, match=r"no revision 'nosuch'"):
        alembic.upgrade("nosuch:head", sql=True)
    assert alembic.get_current() is None


def test_a_revision_id_already_in_the_directory_is_refused_by_name(db: Database, tmp_path: Path) -> None:
    alembic = Alembic(db, tmp_path)
    alembic.rev_id = lambda: "1234"  # type: ignore[method-assign]
    alembic.revision("one", empty=True)
    with pytest.raises(
        MigrationError, match=r"cannot create a revision with the id '1234': .* has a revision"
    ):
        alembic.revision("two", empty=True)
    assert [script.revision for script in alembic.get_history()] == ["1234"]


def test_a_revision_id_alembic_cannot_use_is_refused_with_alembics_reason(
    db: Database, tmp_path: Path
) -> None:
    alembic = Alembic(db, tmp_path)
    alembic.rev_id = lambda: "12-34"  # type: ignore[method-assign]
    with pytest.raises(
        MigrationError, match=r"cannot create a revision: .*'-' not allowed in revision identifier '12-34'"
    ):
        alembic.revision("one", empty=True)
    assert list(tmp_path.glob("*.py")) == []


def test_a_database_at_a_revision_the_directory_lacks_is_named(db: Database, tmp_path: Path) -> None:
    alembic = Alembic(db, tmp_path / "app")
    alembic.revision("one", empty=True)
    alembic.upgrade()
    write_revision(tmp_path / "other", "0ther", None, "pass")
    Alembic(db, tmp_path / "other").stamp("0ther", purge=True)  # another application's revision

    with pytest.raises(MigrationError, match=r"the database is at revision 0ther, which .*app does not have"):
        alembic.get_current()
    with pytest.raises(MigrationError, match=r"Can't locate revision identified by '0ther'"):
        alembic.stamp()  # without purge, Alembic must find the revision it moves from
    alembic.stamp(purge=True)
    assert alembic.get_current() == alembic.get_head()


def test_several_heads_are_refused_with_how_to_join_them(db: Database, tmp_path: Path) -> None:
    write_revision(tmp_path, "aaa", None, "pass")
    write_revision(tmp_path, "bbb", "aaa", "pass")
    write_revision(tmp_path, "ccc", "aaa", "pass")
    alembic = Alembic(db, tmp_path)

    for action in (alembic.get_head, alembic.upgrade, alembic.create_all, lambda: alembic.revision("x")):
        with pytest.raises(MigrationError, match=r"several head revisions \(bbb, ccc\).*down_revision"):
            action()


def test_an_unknown_history_bound_is_named(db: Database, tmp_path: Path) -> None:
    alembic = Alembic(db, tmp_path)
    alembic.revision("one", empty=True)
    with pytest.raises(MigrationError, match=r"cannot list the revisions from nosuch to heads in .*: "):
        alembic.get_history(start="nosuch")


def test_a_file_alembic_cannot_read_as_a_revision_is_named(db: Database, tmp_path: Path) -> None:
    alembic = Alembic(db, tmp_path)
    (tmp_path / "notes.py").write_text("x = 1\n")
    with pytest.raises(MigrationError, match=r"cannot read the revisions in .*notes\.py"):
        alembic.get_head()


@pytest.mark.parametrize(
    ("module", "method", "package"),
    [
        ("click", "get_click_cli", "click"),
        ("flask.cli", "get_flask_cli", "flask"),
        ("proper_cli", "get_proper_cli", "proper-cli"),
    ],
)
def test_a_cli_whose_library_is_missing_names_it_and_the_datalayer_db_command(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, method: str, package: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    with pytest.raises(
        ImportError, match=rf"Alembic\.{method}\(\) needs .*pip install {package}.*datalayer db"
    ):
        getattr(Alembic(db, tmp_path), method)()
