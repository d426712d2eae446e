"""The ``datalayer db`` commands, run through ``datalayer.cli.main`` in a project written to tmp_path."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from datalayer.cli import main
from tests.migrations.conftest import Where

APP = """
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from datalayer import Database

db = Database({url!r})
not_a_database = 42


class User(db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100), unique=True)
"""
NICKNAME = """
    nickname: Mapped[str | None] = mapped_column(String(50))
"""


@dataclass
class Project:
    root: Path
    module: str
    capsys: pytest.CaptureFixture[str]

    def run(self, *argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        captured = self.capsys.readouterr()
        return status, captured.out, captured.err

    def gain_a_column(self, url: str) -> None:
        (self.root / f"{self.module}.py").write_text(APP.format(url=url) + NICKNAME)
        sys.modules.pop(self.module, None)


@pytest.fixture
def project(
    where: Where, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Project]:
    """A project directory holding an app module (its own name) on ``where``'s database, as the cwd."""
    root = tmp_path / "project"
    root.mkdir()
    module = f"dl_app_{uuid.uuid4().hex[:8]}"
    (root / f"{module}.py").write_text(APP.format(url=where.url))
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))
    try:
        yield Project(root, module, capsys)
    finally:
        loaded = sys.modules.pop(module, None)
        if loaded is not None:
            loaded.db.dispose()


def test_init_creates_the_migrations_directory_once(project: Project) -> None:
    status, out, _ = project.run("db", "init")
    assert status == 0 and out.startswith(f"created {project.root / 'migrations'}")
    assert (project.root / "migrations").is_dir()
    assert project.run("db", "init")[:2] == (0, f"{project.root / 'migrations'} already exists\n")


def test_revision_upgrade_current_and_check_through_the_command(project: Project) -> None:
    app = f"{project.module}:db"
    status, out, err = project.run("db", "revision", "-m", "add users", "--app", app)
    assert (status, err) == (0, "")
    revision = out.split()[2].rstrip(":")
    assert out.rstrip().endswith("_add_users.py")

    assert project.run("db", "current", "--app", app) == (0, "none (no revision applied)\n", "")
    assert project.run("db", "upgrade", "--app", app) == (0, f"upgraded: the database is at {revision}\n", "")
    assert project.run("db", "current", "--app", app) == (0, f"{revision}\n", "")
    assert project.run("db", "head", "--app", app) == (0, f"{revision}\n", "")
    assert project.run("db", "history", "--app", app) == (0, f"{revision}\n", "")
    assert project.run("db", "check", "--app", app) == (0, "the models and the database agree\n", "")


def test_check_exits_1_and_prints_what_the_models_changed_without_a_revision(
    project: Project, where: Where
) -> None:
    app = f"--app={project.module}:db"
    project.run("db", app, "revision", "-m", "add users")
    project.run("db", app, "upgrade")
    project.gain_a_column(where.url)

    status, out, err = project.run("db", app, "check")

    assert (status, err) == (1, "")
    assert out.splitlines() == [
        "the models and the database differ (write a revision: datalayer db revision -m MESSAGE):",
        "  add column users.nickname VARCHAR(50)",
    ]


def test_the_app_and_directory_come_from_pyproject_toml_found_upward(project: Project) -> None:
    (project.root / "pyproject.toml").write_text(
        f'[project]\nname = "x"\n\n[tool.datalayer]\napp = "{project.module}:db"\nmigrations = "db/revs"\n'
    )
    nested = project.root / "src" / "deep"
    nested.mkdir(parents=True)
    (nested / "pyproject.toml").write_text('[project]\nname = "no datalayer table here"\n')

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(nested)
        status, out, err = project.run("db", "revision", "-m", "first", "--empty")
        assert (status, err) == (0, "")
        assert str(project.root / "db" / "revs") in out
        assert project.run("db", "upgrade")[0] == 0
        assert project.run("db", "current")[1].strip() == out.split()[2].rstrip(":")


def test_directory_overrides_the_default(project: Project) -> None:
    app = f"{project.module}:db"
    status, out, _ = project.run(
        "db", "revision", "-m", "first", "--empty", "--app", app, "--directory", "elsewhere"
    )
    assert status == 0 and str(project.root / "elsewhere") in out
    assert not (project.root / "migrations").exists()


@pytest.mark.parametrize("where", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("app", "message"),
    [
        (None, r"no Database to migrate: pass --app module:attribute"),
        ("no_colon", r"--app 'no_colon' is not module:attribute"),
        (
            "no_such_module_xyz:db",
            r"cannot import 'no_such_module_xyz' \(from --app no_such_module_xyz:db\): No module named",
        ),
        ("{module}:missing", r"{module}:missing: module '{module}' has no attribute 'missing'"),
        ("{module}:not_a_database", r"{module}:not_a_database is int, not a datalayer Database"),
    ],
)
def test_an_app_that_is_not_a_database_exits_2_with_why(
    project: Project, app: str | None, message: str
) -> None:
    argv = ["db", "current"] if app is None else ["db", "current", "--app", app.format(module=project.module)]
    status, out, err = project.run(*argv)
    assert (status, out) == (2, "")
    assert err.startswith("datalayer db: error: ")
    assert __import__("re").search(message.format(module=project.module), err), err


@pytest.mark.parametrize("where", ["sqlite"], indirect=True)
def test_a_migration_error_exits_1_with_its_message(project: Project) -> None:
    status, out, err = project.run("db", "upgrade", "--app", f"{project.module}:db")
    assert (status, out) == (1, "")
    assert "datalayer db: error: cannot upgrade: there is no migrations directory" in err


@pytest.mark.parametrize("where", ["sqlite"], indirect=True)
def test_the_console_script_runs_the_db_commands(project: Project) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "datalayer",
            "db",
            "revision",
            "-m",
            "first",
            "--empty",
            "--app",
            f"{project.module}:db",
        ],
        capture_output=True,
        text=True,
        cwd=project.root,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("created revision ")
