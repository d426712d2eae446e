"""Where the benchmark runs: a temporary SQLite file, and a database of its own on each server."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from datalayer._urls import shown

__all__ = ["SERVER_VARIABLES", "Target", "close_target", "default_urls", "open_target"]

PREFIX = "bench_"
SERVER_VARIABLES = {
    "postgresql": ("DATALAYER_BENCH_POSTGRESQL_URL", "DATALAYER_TEST_POSTGRESQL_URL"),
    "mariadb": ("DATALAYER_BENCH_MARIADB_URL", "DATALAYER_TEST_MARIADB_URL"),
}


@dataclass
class Target:
    """One database of the run: ``url`` is where the benchmark tables live."""

    name: str
    url: str
    server_url: str | None = None  # the server URL the run database was made from, to drop it
    temp_dir: str | None = None
    notes: list[str] = field(default_factory=list[str])


def default_urls() -> list[str]:
    """SQLite, plus each server whose benchmark (or else test) URL variable is set."""
    urls = ["sqlite://"]
    for variables in SERVER_VARIABLES.values():
        url = next((os.environ[v] for v in variables if os.environ.get(v)), None)
        if url:
            urls.append(url)
    return urls


def open_target(url: str, taken: set[str]) -> Target:
    """Make the run's database for ``url`` (``sqlite://`` means a fresh temporary file)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        name = _unique("sqlite", taken)
        if parsed.database:
            return Target(name, url)
        temp_dir = tempfile.mkdtemp(prefix="datalayer-bench-")
        return Target(name, f"sqlite:///{temp_dir}/bench.db", temp_dir=temp_dir)
    name = _unique(_server_name(url), taken)
    database = f"{PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        _drop_abandoned(url)
        _admin(url, f"CREATE DATABASE {database}")
    except SQLAlchemyError as exc:
        failure = type(exc).__name__
        note = f"could not create a database of its own ({failure}); bench_* tables in {shown(url)}"
        return Target(name, url, notes=[note])
    return Target(name, parsed.set(database=database).render_as_string(hide_password=False), server_url=url)


def close_target(target: Target) -> None:
    """Drop the run's database (or temporary SQLite file)."""
    if target.temp_dir is not None:
        shutil.rmtree(target.temp_dir, ignore_errors=True)
    if target.server_url is not None:
        database = make_url(target.url).database
        assert database is not None and database.startswith(PREFIX)
        _admin(target.server_url, _drop_statement(target.server_url, database))


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    taken.add(candidate)
    return candidate


def _server_name(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect():
            dialect = engine.dialect
            return "mariadb" if getattr(dialect, "is_mariadb", False) else dialect.name
    finally:
        engine.dispose()


def _drop_statement(server_url: str, database: str) -> str:
    force = " WITH (FORCE)" if make_url(server_url).get_backend_name() == "postgresql" else ""
    return f"DROP DATABASE IF EXISTS {database}{force}"


def _admin(server_url: str, statement: str) -> None:
    # Identifiers cannot be bound parameters: ``statement`` names only databases this module made.
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _drop_abandoned(server_url: str) -> None:
    """Drop run databases left behind by benchmark processes that no longer exist."""
    query = (
        "SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_%'"
        if make_url(server_url).get_backend_name() == "postgresql"
        else "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'bench\\_%'"
    )
    engine = create_engine(server_url)
    try:
        with engine.connect() as connection:
            names = [str(row[0]) for row in connection.execute(text(query))]
    finally:
        engine.dispose()
    for name in names:
        pid = name.removeprefix(PREFIX).split("_")[0]
        if pid.isdigit() and not _alive(int(pid)):
            _admin(server_url, _drop_statement(server_url, name))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
