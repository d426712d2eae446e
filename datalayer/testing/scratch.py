"""Scratch databases: one of its own on a server for each test or benchmark run, so runs never meet.

A run creates ``<prefix><pid>_<random>`` next to the server URL's database and
drops it at the end. Databases left by runs whose process is gone (killed, or
stopped at a breakpoint and abandoned) are dropped by the next run with the same
prefix. Names are quoted by SQLAlchemy's identifier preparer, never formatted.

Example::

    url = create_scratch_database("postgresql+psycopg://root@127.0.0.1/test")
    try:
        db = Database(url)
        ...
    finally:
        db.dispose()
        drop_scratch_database(url, "postgresql+psycopg://root@127.0.0.1/test")

.. versionadded:: 0.2
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.ddl import ExecutableDDLElement

from ..errors import UsageError

__all__ = ["create_scratch_database", "drop_scratch_database"]

_PREFIX = re.compile(r"[a-z][a-z0-9_]*_\Z")
_SCHEMAS = {
    "postgresql": text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
    "mysql": text("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE :pattern"),
}


class _CreateDatabase(ExecutableDDLElement):
    def __init__(self, name: str) -> None:
        self.name = name


class _DropDatabase(ExecutableDDLElement):
    def __init__(self, name: str) -> None:
        self.name = name


@compiles(_CreateDatabase)
def _create(element: _CreateDatabase, compiler: Any, **_kw: Any) -> str:
    return f"CREATE DATABASE {compiler.preparer.quote_identifier(element.name)}"


@compiles(_DropDatabase)
def _drop(element: _DropDatabase, compiler: Any, **_kw: Any) -> str:
    force = " WITH (FORCE)" if compiler.dialect.name == "postgresql" else ""
    return f"DROP DATABASE IF EXISTS {compiler.preparer.quote_identifier(element.name)}{force}"


def create_scratch_database(server_url: str | URL, prefix: str = "dl_test_") -> str:
    """Create a database of this run's own on the server of ``server_url``; return its URL (a string).

    ``prefix`` (lowercase letters, digits and ``_``, ending in ``_``) tells apart the
    kinds of runs whose leftovers each cleans up.
    """
    if not _PREFIX.match(prefix):
        raise UsageError(
            f"a scratch database prefix is lowercase letters and digits ending in '_', not {prefix!r}"
        )
    url = make_url(server_url)
    _drop_abandoned(url, prefix)
    name = f"{prefix}{os.getpid()}_{uuid.uuid4().hex[:8]}"
    _admin(url, _CreateDatabase(name))
    return url.set(database=name).render_as_string(hide_password=False)


def drop_scratch_database(url: str | URL, server_url: str | URL) -> None:
    """Drop the scratch database at ``url``, from a connection to ``server_url``."""
    name = make_url(url).database
    if name is None or not re.match(r"[a-z][a-z0-9_]*_\d+_[0-9a-f]{8}\Z", name):
        raise UsageError(f"{name!r} is not a scratch database: refusing to drop it")
    _admin(make_url(server_url), _DropDatabase(name))


def _admin(server_url: URL, statement: ExecutableDDLElement) -> None:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(statement)
    finally:
        engine.dispose()


def _drop_abandoned(server_url: URL, prefix: str) -> None:
    """Drop the scratch databases of ``prefix`` whose run's process no longer exists."""
    query = _SCHEMAS["postgresql" if server_url.get_backend_name() == "postgresql" else "mysql"]
    engine = create_engine(server_url)
    try:
        with engine.connect() as connection:
            pattern = prefix.replace("_", "\\_") + "%"
            names = [str(row[0]) for row in connection.execute(query, {"pattern": pattern})]
    finally:
        engine.dispose()
    for name in names:
        pid = name.removeprefix(prefix).split("_")[0]
        if pid.isdigit() and not _alive(int(pid)):
            _admin(server_url, _DropDatabase(name))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
