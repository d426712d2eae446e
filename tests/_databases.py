"""A database of its own on each server for every test run, so concurrent runs never meet."""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, make_url, text

PREFIX = "dl_test_"


def create_run_database(base_url: str) -> str:
    """Create ``dl_test_<pid>_<random>`` next to ``base_url``'s database; return its URL."""
    url = make_url(base_url)
    name = f"{PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
    _drop_abandoned(base_url)
    _admin(base_url, f"CREATE DATABASE {name}")
    return url.set(database=name).render_as_string(hide_password=False)


def drop_run_database(run_url: str, base_url: str) -> None:
    name = make_url(run_url).database
    assert name is not None and name.startswith(PREFIX)
    _admin(base_url, _drop_statement(base_url, name))


def _drop_statement(base_url: str, name: str) -> str:
    force = " WITH (FORCE)" if make_url(base_url).get_backend_name() == "postgresql" else ""
    return f"DROP DATABASE IF EXISTS {name}{force}"


def _admin(base_url: str, statement: str) -> None:
    # Identifiers cannot be bound parameters; ``statement`` names only databases made above.
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _drop_abandoned(base_url: str) -> None:
    """Drop run databases left by test processes that no longer exist."""
    backend = make_url(base_url).get_backend_name()
    query = (
        "SELECT datname FROM pg_database WHERE datname LIKE 'dl_test_%'"
        if backend == "postgresql"
        else "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'dl_test_%'"
    )
    engine = create_engine(base_url)
    try:
        with engine.connect() as connection:
            names = [str(row[0]) for row in connection.execute(text(query))]
    finally:
        engine.dispose()
    for name in names:
        pid = int(name.removeprefix(PREFIX).split("_")[0])
        if not _alive(pid):
            _admin(base_url, _drop_statement(base_url, name))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
