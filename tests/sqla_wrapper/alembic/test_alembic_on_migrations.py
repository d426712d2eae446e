"""What Alembic(db, path) does beyond sqla-wrapper's tests: its template, arguments, targets, and CLIs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import String, inspect
from sqlalchemy.orm import Mapped, mapped_column

from datalayer import Database
from datalayer.migrations import Alembic, Migrations, _alembic_scripts
from datalayer.testing import count_queries


def define_note(db: Database) -> type[object]:
    class Note(db.Model):
        __tablename__ = "notes"
        id: Mapped[int] = mapped_column(primary_key=True)
        text: Mapped[str] = mapped_column(String(50))

    return Note


def tables(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_new_revisions_are_written_from_the_directorys_own_template(memdb: Database, dst: Path) -> None:
    template = dst / "script.py.mako"
    template.parent.mkdir(exist_ok=True)
    Alembic(memdb, dst)  # copies the template
    template.write_text(
        template.read_text().replace("import sqlalchemy as sa", "import sqlalchemy as sa  # ours")
    )
    define_note(memdb)
    alembic = Alembic(memdb, dst, file_template="%%(rev)s")

    for made in (alembic.revision("notes"), alembic.revision("data", empty=True)):
        assert "import sqlalchemy as sa  # ours" in Path(made.path).read_text()
    assert [path.name for path in sorted(dst.glob("*.py"))] == sorted(
        f"{script.revision}.py" for script in alembic.get_history()
    )


def test_keyword_arguments_reach_each_revisions_upgrade_and_downgrade(memdb: Database, dst: Path) -> None:
    (dst / "0001_notes.py").write_text(
        textwrap.dedent('''\
            """notes"""
            from pathlib import Path

            revision = "0001"
            down_revision = None
            branch_labels = None
            depends_on = None


            def upgrade(note):
                Path(note).write_text("up")


            def downgrade(note):
                Path(note).write_text("down")
        ''')
    )
    alembic = Alembic(memdb, dst)
    note = dst.parent / "note.txt"

    alembic.upgrade(note=str(note))
    assert (note.read_text(), alembic.get_current()) == ("up", alembic.get_head())
    alembic.downgrade(note=str(note))
    assert (note.read_text(), alembic.get_current()) == ("down", None)


def test_downgrade_takes_a_revision_or_base_as_well_as_a_number_of_revisions(
    memdb: Database, dst: Path
) -> None:
    alembic = Alembic(memdb, dst)
    first = alembic.revision("one", empty=True)
    second = alembic.revision("two", empty=True)
    alembic.revision("three", empty=True)
    alembic.upgrade()

    alembic.downgrade(second.revision)
    assert alembic.get_current() == second
    alembic.downgrade("1")
    assert alembic.get_current() == first
    alembic.upgrade()
    alembic.downgrade("base")
    assert alembic.get_current() is None


def test_a_revision_id_of_digits_is_a_revision_to_downgrade_to_not_a_number_of_steps(
    memdb: Database, dst: Path
) -> None:
    alembic = Alembic(memdb, dst)
    for rev_id, message in (("1", "one"), ("0002", "two"), ("3", "three")):
        alembic.rev_id = lambda rev_id=rev_id: rev_id  # type: ignore[method-assign]
        alembic.revision(message, empty=True)
    alembic.upgrade()

    alembic.downgrade("0002")
    assert alembic.get_current() == alembic.get_history()[1]
    alembic.downgrade("1")  # a revision: there is one of that id
    assert alembic.get_current() == alembic.get_history()[0]
    alembic.downgrade(1)  # an int is always a number of revisions
    assert alembic.get_current() is None


def test_printed_sql_reads_and_writes_nothing(
    memdb: Database, dst: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    define_note(memdb)
    alembic = Alembic(memdb, dst)
    first = alembic.revision("notes")

    alembic.upgrade(f"{first.revision}:head", sql=True)  # from the first: nothing to print
    alembic.upgrade(":head", sql=True)
    alembic.stamp("base:head", sql=True)

    printed = capsys.readouterr().out
    assert printed.count("CREATE TABLE notes") == 1
    stamped = f"INSERT INTO alembic_version (version_num) VALUES ('{first.revision}')"  # noqa: S608
    assert printed.count(stamped) == 2
    assert (alembic.get_current(), tables(memdb)) == (None, set())


def test_revisions_written_by_other_code_meanwhile_are_found(memdb: Database, dst: Path) -> None:
    alembic = Alembic(memdb, dst)
    first = alembic.revision("one", empty=True)
    other = Migrations(memdb, dst).revision("written by the datalayer db command", empty=True)

    assert alembic.get_head() is not None and alembic.get_head().revision == other  # type: ignore[union-attr]
    third = alembic.revision("three", empty=True)
    assert third.down_revision == other
    assert [script.revision for script in alembic.get_history()] == [first.revision, other, third.revision]
    assert alembic.get_history()[-1] is third


def test_each_call_lists_the_revision_files_once(
    memdb: Database, dst: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed: list[Path] = []
    files = _alembic_scripts._files

    def counted(path: Path) -> frozenset[tuple[str, int]]:
        listed.append(path)
        return files(path)

    monkeypatch.setattr(_alembic_scripts, "_files", counted)
    define_note(memdb)
    alembic = Alembic(memdb, dst)
    made = alembic.revision("notes")
    assert listed.count(dst) == 2  # before the new file is written, and after
    alembic.upgrade()
    calls = {
        "get_head": alembic.get_head,
        "get_current": alembic.get_current,
        "get_history": lambda: alembic.get_history(start="current", end="current")[0],
    }
    sent: dict[str, int] = {}
    for name, call in calls.items():
        listed.clear()
        with count_queries(memdb) as log:
            assert call() is made, name
        assert listed == [dst], name
        sent[name] = len(log)
    assert sent["get_head"] == 0 and sent["get_history"] == sent["get_current"]  # the database read once


def test_create_all_without_revisions_creates_the_tables_and_stamps_nothing(
    memdb: Database, dst: Path
) -> None:
    define_note(memdb)
    alembic = Alembic(memdb, dst)
    alembic.create_all()
    assert (tables(memdb), alembic.get_current()) == ({"notes"}, None)


def test_the_migrations_it_runs_on_check_the_models_against_the_database(memdb: Database, dst: Path) -> None:
    define_note(memdb)
    alembic = Alembic(memdb, dst)
    alembic.revision("notes")
    alembic.upgrade()
    assert alembic.migrations.check() == []
    assert repr(alembic) == f"Alembic({memdb!r}, {str(dst)!r})"


def test_the_click_commands_run_the_migrations(memdb: Database, dst: Path) -> None:
    define_note(memdb)
    alembic = Alembic(memdb, dst)
    cli = alembic.get_click_cli("db")
    assert isinstance(cli, click.Group) and cli.name == "db"
    runner = CliRunner()

    for args in (["revision", "notes"], ["upgrade"], ["current"], ["history", "-v"]):
        done = runner.invoke(cli, args, catch_exceptions=False)
        assert done.exit_code == 0, done.output
    head = alembic.get_head()
    assert head is not None and alembic.get_current() == head
    assert f"Rev: {head.revision} (head)\nParent: <base>\n" in done.output
    assert runner.invoke(cli, ["downgrade", "1"], catch_exceptions=False).exit_code == 0
    assert alembic.get_current() is None
    assert runner.invoke(cli, ["create-all"], catch_exceptions=False).exit_code == 0
    assert (tables(memdb), alembic.get_current()) == ({"notes"}, head)


def test_the_flask_commands_run_in_the_applications_context(memdb: Database, dst: Path) -> None:
    alembic = Alembic(memdb, dst)
    first = alembic.revision("one", empty=True)
    app = Flask(__name__)
    app.cli.add_command(alembic.get_flask_cli("db"))

    done = app.test_cli_runner().invoke(args=["db", "upgrade"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert alembic.get_current() == first


def test_the_proper_cli_commands_are_the_alembic_methods(memdb: Database, dst: Path) -> None:
    alembic = Alembic(memdb, dst)
    first = alembic.revision("one", empty=True)
    commands = alembic.get_proper_cli()()
    commands.upgrade()
    assert alembic.get_current() == first
    commands.downgrade()
    assert alembic.get_current() is None


def test_an_empty_revision_sends_nothing_to_the_database(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'app.db'}")
    alembic = Alembic(db, path=tmp_path / "migrations")
    with count_queries(db) as log:
        first = alembic.revision("first", empty=True)
        second = alembic.revision("second", empty=True)
    assert log.round_trips == 0 and second.down_revision == first.revision
    db.dispose()
