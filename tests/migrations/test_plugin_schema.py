"""The pytest plugin's ``datalayer_schema = migrations``: the test database built by the project's revisions.

Each case is a project of its own, run by pytester in a subprocess, on a fresh
database of each backend (``where``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import make_url

from datalayer.migrations import Migrations
from tests.conftest import async_driver_url
from tests.migrations.conftest import Where, backends, write_revision

APP = """
import os

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from datalayer import Database

db = Database(os.environ["APP_URL"])


class User(db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100), unique=True)
    nickname: Mapped[str | None] = mapped_column(String(50))
"""

INI = """[pytest]
datalayer_database = app:db
filterwarnings = error
pythonpath = .
"""

# The second revision adds ``nickname`` (in the model) and ``legacy`` (not in it): create_all() makes
# no ``legacy``, the migrations do.
CREATE_USERS = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("email", sa.String(100), nullable=False, unique=True),
)
"""
ADD_COLUMNS = """
op.add_column("users", sa.Column("nickname", sa.String(50)))
op.add_column("users", sa.Column("legacy", sa.String(10), server_default="old"))
"""

# Run in file order: the second test sees that the first one's row was rolled back.
TESTS = """
from sqlalchemy import inspect, text

from app import User


def test_the_schema_is_the_migrations(db_session):
    names = set(inspect(db_session.connection()).get_table_names())
    assert {"users", "alembic_version"} <= names
    columns = {c["name"] for c in inspect(db_session.connection()).get_columns("users")}
    assert {"nickname", "legacy"} <= columns
    assert db_session.execute(text("SELECT version_num FROM alembic_version")).scalar() == "r2"
    db_session.create(User, email="ann@example.com", nickname="ann")
    assert db_session.execute(text("SELECT legacy FROM users")).scalar() == "old"


def test_each_test_is_still_rolled_back(db_session):
    assert db_session.all(User) == []
"""


# What does not depend on the backend runs on SQLite only: each case is a pytest run of its own.
SQLITE_ONLY = pytest.mark.parametrize("where", backends("sqlite"), indirect=True)


def write_project(root: Path, ini: str = INI, migrations: str = "migrations") -> None:
    (root / "app.py").write_text(APP)
    (root / "pytest.ini").write_text(ini)
    (root / "test_app.py").write_text(TESTS)
    write_revision(root / migrations, "r1", None, CREATE_USERS, 'op.drop_table("users")')
    write_revision(
        root / migrations,
        "r2",
        "r1",
        ADD_COLUMNS,
        'op.drop_column("users", "legacy")\nop.drop_column("users", "nickname")',
    )


def run(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:asyncio", "-p", "no:cacheprovider")


@pytest.fixture
def project(where: Where, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An empty project directory whose app reads ``where``'s URL from APP_URL."""
    monkeypatch.setenv("APP_URL", where.url)  # the subprocess inherits it
    return pytester


def test_the_tests_run_on_the_schema_the_migrations_make(project: pytest.Pytester, where: Where) -> None:
    write_project(project.path, INI + "datalayer_schema = migrations\ndatalayer_migrations = migrations\n")
    run(project).assert_outcomes(passed=2)
    assert {"users", "alembic_version"} <= where.tables()
    run(project).assert_outcomes(passed=2)  # the next run finds the database at the head: nothing to do


@SQLITE_ONLY
def test_the_directory_defaults_to_the_pyproject_setting(project: pytest.Pytester) -> None:
    write_project(project.path, INI + "datalayer_schema = migrations\n", migrations="db/revisions")
    (project.path / "pyproject.toml").write_text(
        '[tool.datalayer]\napp = "app:db"\nmigrations = "db/revisions"\n'
    )
    run(project).assert_outcomes(passed=2)


def test_create_all_stays_the_default(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_URL", f"sqlite:///{tmp_path / 'app.db'}")
    write_project(pytester.path)
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)  # create_all() makes no legacy column, no alembic_version
    result.stdout.fnmatch_lines(["FAILED test_app.py::test_the_schema_is_the_migrations - *"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            "datalayer_schema = migrations\ndatalayer_migrations = nowhere\n",
            "*UsageError: datalayer_schema = migrations: datalayer_migrations = nowhere is */nowhere, "
            "which does not exist. Set datalayer_migrations to the directory of the revision files*",
        ),
        (
            "datalayer_schema = migrations\n",
            "*UsageError: datalayer_schema = migrations: the default migrations directory is */migrations, "
            "which does not exist*",
        ),
        (
            "datalayer_schema = alembic\n",
            "*UsageError: datalayer_schema = 'alembic': expected one of create_all, migrations*",
        ),
        (
            "datalayer_schema = migrations\ndatalayer_create_all = false\n",
            "*UsageError: datalayer_create_all = false and datalayer_schema = migrations contradict*",
        ),
    ],
    ids=["missing-directory", "missing-default-directory", "unknown-choice", "contradiction"],
)
def test_a_wrong_setting_is_a_clear_error(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: str, message: str
) -> None:
    monkeypatch.setenv("APP_URL", f"sqlite:///{tmp_path / 'app.db'}")
    (pytester.path / "app.py").write_text(APP)
    (pytester.path / "pytest.ini").write_text(INI + options)
    (pytester.path / "test_app.py").write_text(TESTS)
    result = run(pytester)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([message])


@SQLITE_ONLY
def test_a_failing_revision_names_the_option(project: pytest.Pytester) -> None:
    write_project(project.path, INI + "datalayer_schema = migrations\n")
    write_revision(project.path / "migrations", "r3", "r2", 'op.execute("SELECT * FROM no_such_table")')
    result = run(project)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*datalayer_schema = migrations: a revision of */migrations failed*"])


@SQLITE_ONLY
def test_a_database_ahead_of_the_revisions_is_refused(project: pytest.Pytester, where: Where) -> None:
    write_project(project.path, INI + "datalayer_schema = migrations\n")
    write_revision(project.path / "migrations", "r3", "r2", "pass")
    Migrations(where.db, project.path / "migrations").upgrade()  # by code that has r3
    (project.path / "migrations" / "r3_hand_written.py").unlink()
    result = run(project)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*cannot upgrade the test database * (datalayer_schema = migrations): "
            "*the database is at revision r3*"
        ]
    )


ASYNC_APP = """
import os

from datalayer.asyncio import AsyncDatabase

from app import User, db

adb = AsyncDatabase(os.environ["APP_ASYNC_URL"], model_class=db.Model)
"""
ASYNC_INI = """[pytest]
datalayer_async_database = async_app:adb
datalayer_schema = migrations
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
asyncio_default_test_loop_scope = function
filterwarnings = error
pythonpath = .
"""
ASYNC_TESTS = """
from sqlalchemy import inspect, text

from app import User


async def test_the_async_tests_see_the_migrated_schema(async_db_session):
    version = await async_db_session.execute(text("SELECT version_num FROM alembic_version"))
    assert version.scalar() == "r2"
    await async_db_session.create(User, email="ann@example.com")
    legacy = await async_db_session.execute(text("SELECT legacy FROM users"))
    assert legacy.scalar() == "old"


async def test_each_async_test_is_rolled_back(async_db_session):
    assert await async_db_session.all(User) == []
"""
ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg", "mysql": "aiomysql"}


def test_an_async_database_is_migrated_through_the_sync_driver(
    project: pytest.Pytester, where: Where, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(project.path, ASYNC_INI)
    (project.path / "async_app.py").write_text(ASYNC_APP)
    (project.path / "test_app.py").write_text(ASYNC_TESTS)
    driver = ASYNC_DRIVERS[make_url(where.url).get_backend_name()]
    monkeypatch.setenv("APP_ASYNC_URL", async_driver_url(where.url, driver))
    result = project.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_an_async_in_memory_database_is_refused(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_URL", "sqlite://")
    monkeypatch.setenv("APP_ASYNC_URL", "sqlite+aiosqlite://")
    write_project(pytester.path, ASYNC_INI)
    (pytester.path / "async_app.py").write_text(ASYNC_APP)
    (pytester.path / "test_app.py").write_text(ASYNC_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        ["*UsageError: datalayer_schema = migrations cannot migrate an in-memory SQLite*"]
    )
