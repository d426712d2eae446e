"""The test database's schema, built once per run: ``create_all()`` (the default) or the project's migrations.

``datalayer_schema = migrations`` upgrades the test database to the head revision
of ``datalayer_migrations`` (a directory, relative to the pytest configuration
file; by default the ``migrations`` of ``[tool.datalayer]`` in the nearest
pyproject.toml, else ``migrations``), so that the tests run on the schema the
migrations produce. ``datalayer_create_all = false`` builds nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.exc import SQLAlchemyError

from .. import _project
from ..database import Database
from ..errors import MigrationError, UsageError
from ._loading import connecting

if TYPE_CHECKING:
    from ..asyncio import AsyncDatabase

__all__ = ["CREATE_ALL", "MIGRATIONS", "NONE", "add_options", "choice", "directory", "migrated", "sync_twin"]

CREATE_ALL = "create_all"
MIGRATIONS = "migrations"
NONE = "none"
_CHOICES = (CREATE_ALL, MIGRATIONS)
# The sync driver that migrates an AsyncDatabase's database: the ones datalayer's extras install.
_SYNC_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql"}


def add_options(parser: pytest.Parser) -> None:
    parser.addini(
        "datalayer_create_all",
        "create the Database's tables (metadata.create_all) once per test run",
        type="bool",
        default=True,
    )
    parser.addini(
        "datalayer_schema",
        "how the test database gets its tables, once per run: create_all (the default) or migrations "
        "(upgrade to the head revision of datalayer_migrations)",
        default=CREATE_ALL,
    )
    parser.addini(
        "datalayer_migrations",
        "the revision files' directory for datalayer_schema = migrations, relative to the configuration "
        "file (default: migrations under [tool.datalayer] in pyproject.toml, or migrations)",
        default="",
    )


def choice(config: pytest.Config) -> str:
    """``create_all``, ``migrations`` or ``none`` (``datalayer_create_all = false``); UsageError otherwise."""
    chosen = str(config.getini("datalayer_schema")).strip() or CREATE_ALL
    if chosen not in _CHOICES:
        raise UsageError(f"datalayer_schema = {chosen!r}: expected one of {', '.join(_CHOICES)}")
    if not config.getini("datalayer_create_all"):
        if chosen == MIGRATIONS:
            raise UsageError(
                "datalayer_create_all = false and datalayer_schema = migrations contradict each other: "
                "remove datalayer_create_all to upgrade the test database with the migrations, or "
                "datalayer_schema to build no schema at all"
            )
        return NONE
    return chosen


def directory(config: pytest.Config) -> Path:
    """The migrations directory that the options name; UsageError if it does not exist."""
    base = config.inipath.parent if config.inipath is not None else config.rootpath
    given = str(config.getini("datalayer_migrations")).strip()
    found = base / given if given else _project.find(base).migrations
    if not found.is_dir():
        named = f"datalayer_migrations = {given}" if given else "the default migrations directory"
        raise UsageError(
            f"datalayer_schema = migrations: {named} is {found}, which does not exist. Set "
            "datalayer_migrations to the directory of the revision files (relative to "
            f"{base}), or create the first revision: datalayer db revision -m MESSAGE"
        )
    return found


def migrated(database: Database, config: pytest.Config) -> None:
    """Upgrade ``database`` to the head revision of the configured directory (commits)."""
    __tracebackhide__ = True
    where = directory(config)
    try:
        from ..migrations import Migrations
    except ImportError as exc:
        raise UsageError(
            'datalayer_schema = migrations needs Alembic: pip install "datalayer-sqla[migrations]"'
        ) from exc
    with connecting(database):
        try:
            Migrations(database, where).upgrade()
        except MigrationError as exc:
            raise pytest.fail.Exception(
                f"cannot upgrade the test database {database!r} (datalayer_schema = migrations): {exc}",
                pytrace=False,
            ) from exc
        except SQLAlchemyError as exc:
            exc.add_note(
                f"datalayer_schema = migrations: a revision of {where} failed on the test database "
                f"{database!r}. A database whose tables create_all() made is at no revision: give the "
                "tests an empty database"
            )
            raise


def sync_twin(database: AsyncDatabase) -> Database:
    """A Database on the same database and models as ``database``, through its backend's sync driver."""
    url = database.url
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        raise UsageError(
            "datalayer_schema = migrations cannot migrate an in-memory SQLite database: the migrations "
            "run on a connection of their own, which sees another, empty database. Use a SQLite file"
        )
    driver = _SYNC_DRIVERS.get(backend)
    return Database(
        url.set(drivername=f"{backend}+{driver}" if driver else backend), model_class=database.Model
    )
