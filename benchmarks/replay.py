"""The replica's replay held while the other workloads run, so that it does not share their two cores.

A streaming replica replays every row the benchmark writes, on the same machine: after the contender
that wrote them, while the next one is timed. Held (PostgreSQL's ``pg_wal_replay_pause()``, MariaDB's
``STOP SLAVE SQL_THREAD``: the changes are still received) until the routing workloads, which resume it
and wait until the replica has caught up.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text

from .routing import REPLICA_PORTS

__all__ = ["replay_held"]

_HOLD = {"postgresql": "SELECT pg_wal_replay_pause()", "mysql": "STOP SLAVE SQL_THREAD"}
_RESUME = {"postgresql": "SELECT pg_wal_replay_resume()", "mysql": "START SLAVE SQL_THREAD"}


def _run(url: str, statements: dict[str, str], answer: bool = False, **params: object) -> bool:
    """Send the dialect's statement to ``url``'s replica; False when there is none (or it is down).

    ``answer``: the statement's own answer (a boolean) instead of True.
    """
    parsed = make_url(url)
    name = create_engine(parsed).dialect.name
    if name not in REPLICA_PORTS:
        return False
    replica_url = parsed.set(port=REPLICA_PORTS[name])
    replica = create_engine(replica_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 2})
    try:
        with replica.connect() as connection:
            result = connection.execute(text(statements[name]), params)
            return bool(result.scalar()) if answer else True
    except Exception:  # no replica: nothing to hold, and the routing workloads say why
        return False
    finally:
        replica.dispose()


@contextmanager
def replay_held(url: str) -> Iterator[None]:
    """Hold the replay of ``url``'s replica in the block (if it has one that answers); then its catch-up."""
    held = _run(url, _HOLD)
    try:
        yield
    finally:
        if held:
            _run(url, _RESUME)
            _caught_up(url)


def _caught_up(url: str, timeout: float = 120) -> None:
    """Wait until ``url``'s replica has replayed everything its primary holds now (at most ``timeout`` s)."""
    primary = create_engine(url)
    try:
        with primary.connect() as connection:
            if primary.dialect.name == "postgresql":
                position = connection.execute(text("SELECT pg_current_wal_insert_lsn()::text")).scalar_one()
                check = "SELECT pg_last_wal_replay_lsn() >= CAST(:position AS pg_lsn)"
            else:
                position = connection.execute(text("SELECT @@gtid_binlog_pos")).scalar_one()
                check = "SELECT MASTER_GTID_WAIT(:position, 1) = 0"
    finally:
        primary.dispose()
    deadline = time.monotonic() + timeout
    asked = {primary.dialect.name: check}
    while not _run(url, asked, answer=True, position=position) and time.monotonic() < deadline:
        time.sleep(0.2)
