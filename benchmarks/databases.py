"""Where the benchmark runs: a temporary SQLite file, and a database of its own on each server."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field

from sqlalchemy import create_engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from datalayer._urls import shown
from datalayer.testing import create_scratch_database, drop_scratch_database

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
    try:
        run_url = create_scratch_database(url, prefix=PREFIX)
    except SQLAlchemyError as exc:
        failure = type(exc).__name__
        note = f"could not create a database of its own ({failure}); bench_* tables in {shown(url)}"
        return Target(name, url, notes=[note])
    return Target(name, run_url, server_url=url)


def close_target(target: Target) -> None:
    """Drop the run's database (or temporary SQLite file)."""
    if target.temp_dir is not None:
        shutil.rmtree(target.temp_dir, ignore_errors=True)
    if target.server_url is not None:
        drop_scratch_database(target.url, target.server_url)


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
