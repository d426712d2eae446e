"""The upgrade lock: one process at a time migrates a database, whatever the number of processes started.

Taken on the connection the migration runs on, before its current revision is
read, and held until the migration ends:

- PostgreSQL: a session-level advisory lock (``pg_advisory_lock``) on a fixed key,
  which is per database (so refused through a pooler in transaction mode);
- MariaDB/MySQL: a named lock (``GET_LOCK``) whose name is made from the
  database's name, as named locks are server-wide;
- SQLite: an exclusive ``flock`` on ``<database file>.migrations.lock`` next to
  the database file (left in place: removing a lock file races with its next
  user); nothing for an in-memory database, which no other process sees.

A lock not granted within ``timeout`` seconds raises :class:`MigrationError`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, TextClause, text
from sqlalchemy.exc import DBAPIError

from .._pooler import pooled
from ..errors import MigrationError

__all__ = ["upgrade_lock"]

_PG_KEY = 0x646C_6D69_6772_6174  # "dlmigrat": fits a signed bigint
_PG_TIMEOUT = text("SELECT set_config('lock_timeout', :timeout, true)")
_PG_LOCK = text("SELECT pg_advisory_lock(:key)")
_PG_UNLOCK = text("SELECT pg_advisory_unlock(:key)")
_PG_LOCK_NOT_AVAILABLE = "55P03"
# Named locks are server-wide: the name is made from the database's (at most 53 characters).
_MYSQL_LOCK = text(
    "SELECT GET_LOCK(CONCAT('datalayer_migrations:', MD5(COALESCE(DATABASE(), ''))), :timeout)"
)
_MYSQL_UNLOCK = text("SELECT RELEASE_LOCK(CONCAT('datalayer_migrations:', MD5(COALESCE(DATABASE(), ''))))")
_SQLITE_POLL = 0.05


@contextmanager
def upgrade_lock(connection: Connection, timeout: float) -> Generator[None]:
    """Hold the database's migrations lock; ``connection`` is left outside any transaction."""
    name = connection.dialect.name
    if name == "postgresql":
        with _postgresql(connection, timeout):
            yield
    elif name in ("mysql", "mariadb"):
        with _mysql(connection, timeout):
            yield
    elif name == "sqlite":
        with _sqlite(connection, timeout):
            yield
    else:
        yield  # no lock known for this database


def _waited_too_long(timeout: float) -> MigrationError:
    return MigrationError(
        f"another process held the migrations lock for more than {timeout:g} seconds: it is still "
        "migrating this database (let it finish), or it hangs (stop it); then run again"
    )


@contextmanager
def _postgresql(connection: Connection, timeout: float) -> Generator[None]:
    if pooled(connection.engine):
        raise MigrationError(
            "migrations run on a direct connection to PostgreSQL, not through a pooler in transaction "
            "mode: their lock is held by the session, which the pooler would hand to another client "
            "between transactions; give the migrations a Database without pooler="
        )
    try:
        connection.execute(_PG_TIMEOUT, {"timeout": f"{max(1, round(timeout * 1000))}ms"})
        connection.execute(_PG_LOCK, {"key": _PG_KEY})
    except DBAPIError as exc:
        connection.rollback()
        if getattr(exc.orig, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
            raise _waited_too_long(timeout) from exc
        raise
    connection.commit()  # the lock is the session's: it outlives the transaction
    with _released(connection, _PG_UNLOCK, {"key": _PG_KEY}):
        yield


@contextmanager
def _mysql(connection: Connection, timeout: float) -> Generator[None]:
    granted = connection.execute(_MYSQL_LOCK, {"timeout": timeout}).scalar()
    connection.commit()
    if granted != 1:
        raise _waited_too_long(timeout)
    with _released(connection, _MYSQL_UNLOCK, {}):
        yield


@contextmanager
def _released(connection: Connection, unlock: TextClause, params: dict[str, object]) -> Generator[None]:
    """Run the body, then release the session lock; a connection that cannot is closed (which releases it)."""
    failed = True
    try:
        yield
        failed = False
    finally:
        try:
            if connection.in_transaction():
                connection.rollback()  # what the migration left open was not meant to be kept
            connection.execute(unlock, params)
            connection.commit()
        except DBAPIError:
            connection.invalidate()  # the server ends the session, and its locks with it
            if not failed:
                raise


@contextmanager
def _sqlite(connection: Connection, timeout: float) -> Generator[None]:
    rows = connection.exec_driver_sql("PRAGMA database_list").all()
    connection.commit()
    path = next((str(row[2]) for row in rows if row[1] == "main"), "")
    if not path or sys.platform == "win32":
        yield  # in memory: no other process sees it; Windows: SQLite's own locking alone
        return
    with _flocked(Path(f"{path}.migrations.lock"), timeout):
        yield


@contextmanager
def _flocked(path: Path, timeout: float) -> Generator[None]:
    if sys.platform == "win32":  # pragma: no cover - for the type checkers
        yield
        return
    import fcntl

    deadline = time.monotonic() + timeout
    with path.open("a") as file:
        while True:
            try:
                fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _waited_too_long(timeout) from None
                time.sleep(_SQLITE_POLL)
        try:
            yield
        finally:
            fcntl.flock(file.fileno(), fcntl.LOCK_UN)
