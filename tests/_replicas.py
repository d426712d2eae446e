"""The replicas ``scripts/cluster.sh up`` starts, for the routing tests: their URLs, and whether they run."""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from datalayer import Database
from tests.conftest import Env
from tests.models import Models, define_models

__all__ = [
    "REPLICA_PORTS",
    "Routed",
    "on_replica",
    "replay_paused",
    "replica_url",
    "routed_env",
    "run_cluster",
]

REPLICA_PORTS = {"postgresql": 5433, "mariadb": 3307}  # fixed: scripts/cluster.sh starts them there
_IS_REPLICA = {"postgresql": "SELECT pg_is_in_recovery()", "mariadb": "SELECT @@server_id <> 1"}


def replica_url(primary_url: str, backend: str) -> str:
    """The URL of the same database on ``backend``'s replica."""
    return make_url(primary_url).set(port=REPLICA_PORTS[backend]).render_as_string(hide_password=False)


@functools.cache
def _replica_down(backend: str, url: str) -> str | None:
    """Why the replica of ``url`` cannot be used (None: it replicates)."""
    engine = create_engine(replica_url(url, backend), connect_args=_QUICK[backend])
    deadline = time.monotonic() + 10  # the run's database was just created: the replica may replay it late
    try:
        while True:
            try:
                with engine.connect() as connection:
                    if not connection.execute(text(_IS_REPLICA[backend])).scalar_one():
                        return f"127.0.0.1:{REPLICA_PORTS[backend]} is not a replica"
                    return None
            except Exception as error:  # any failure to reach it is the reason to give
                if time.monotonic() > deadline:
                    return (
                        f"the {backend} replica on 127.0.0.1:{REPLICA_PORTS[backend]} is not up "
                        f"({type(error).__name__}): scripts/cluster.sh up starts it"
                    )
                time.sleep(0.2)
    finally:
        engine.dispose()


_HELD = {
    "postgresql": ("SELECT pg_wal_replay_pause()", "SELECT pg_wal_replay_resume()"),
    "mariadb": ("FLUSH TABLES WITH READ LOCK", "UNLOCK TABLES"),
}
_QUICK: dict[str, dict[str, Any]] = {"postgresql": {"connect_timeout": 2}, "mariadb": {"connect_timeout": 2}}


@dataclass
class Routed:
    """A Database with the test models, routing read-only units to the replica(s)."""

    backend: str
    url: str
    db: Database
    models: Models

    def is_replica(self, connection: Any) -> bool:
        return bool(connection.execute(text(_IS_REPLICA[self.backend])).scalar_one())


def routed_env(server_env: Env, replicas: int = 1, **options: Any) -> Iterator[Routed]:
    """``server_env``'s database and tables, ``replicas`` routes to its replica; skipped if it is down."""
    backend = server_env.backend
    reason = _replica_down(backend, server_env.url)
    if reason is not None:
        pytest.skip(reason)
    url = replica_url(server_env.url, backend)
    db = Database(server_env.url, replicas=[url] * replicas, **{**server_env.engine_options, **options})
    yield Routed(backend, server_env.url, db, define_models(db))
    db.dispose()


def on_replica(routed: Routed, session: Any) -> bool:
    """Whether ``session`` runs on a replica (the server says so)."""
    return routed.is_replica(session.connection())


def run_cluster(*args: str) -> None:
    """Run scripts/cluster.sh (from the repository's root)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([os.path.join(root, "scripts", "cluster.sh"), *args], check=True, capture_output=True)


@contextlib.contextmanager
def replay_paused(routed: Routed) -> Iterator[None]:
    """The replica applies no more of the primary's commits until the block ends, and says it replicates.

    PostgreSQL pauses its WAL replay; MariaDB's replication thread waits on a
    global read lock held by the block (``STOP SLAVE SQL_THREAD`` would say
    it stopped). Reads on the replica go on, seeing what it had applied.
    """
    engine = create_engine(
        replica_url(routed.url, routed.backend), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        hold, release = _HELD[routed.backend]
        with engine.connect() as connection:
            connection.execute(text(hold))
            try:
                yield
            finally:
                connection.execute(text(release))
    finally:
        engine.dispose()
