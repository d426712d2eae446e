"""Another connection to a test's database: it kills a unit's connection and reads the truth."""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from datalayer import UnitOfWork
    from tests.conftest import Env

__all__ = ["Outsider", "backend_pid", "closed_port", "committed_emails"]

PID_QUERY = {"postgresql": "SELECT pg_backend_pid()", "mariadb": "SELECT CONNECTION_ID()"}


def backend_pid(env: Env, uow: UnitOfWork) -> int:
    """The server-side id of the connection the unit is using."""
    return int(uow.session.execute(text(PID_QUERY[env.backend])).scalar_one())


class Outsider:
    """A connection of its own to the test's database: it kills the unit's connection and reads the truth."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.engine: Engine = create_engine(env.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")

    def kill(self, pid: int) -> None:
        """Terminate the server session ``pid`` and wait until it is gone."""
        with self.engine.connect() as connection:
            if self.env.backend == "postgresql":
                # With a timeout, pg_terminate_backend waits for the backend to exit.
                killed = connection.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid})
                assert killed.scalar_one() is True, f"backend {pid} was not terminated"
                return
            connection.execute(text("KILL CONNECTION :pid"), {"pid": pid})
            alive = text("SELECT COUNT(*) FROM information_schema.processlist WHERE id = :pid")
            deadline = time.monotonic() + 10
            while connection.execute(alive, {"pid": pid}).scalar_one():
                assert time.monotonic() < deadline, f"connection {pid} still alive 10 s after KILL"
                time.sleep(0.01)

    def emails(self) -> set[str]:
        """Every committed user's email, as another session sees them."""
        with self.engine.connect() as connection:
            return {str(email) for email in connection.execute(text("SELECT email FROM t_users")).scalars()}

    def close(self) -> None:
        self.engine.dispose()


def committed_emails(env: Env) -> set[str]:
    """The committed users, read over a connection outside the Database's pool."""
    engine: Engine = create_engine(env.url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return {str(email) for email in connection.execute(text("SELECT email FROM t_users")).scalars()}
    finally:
        engine.dispose()


def closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
