"""Each server's replication, as the router asks it: where the primary stands, what a replica replayed.

PostgreSQL: a WAL position (``pg_current_wal_insert_lsn()`` on the primary,
past every commit record already made, against ``pg_last_wal_replay_lsn()`` on
a streaming replica, which PostgreSQL can only be asked, not waited on:
polled). MariaDB: a GTID position (``@@gtid_binlog_pos`` on the primary,
``MASTER_GTID_WAIT()`` on the replica, which waits on the server).
"""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..errors import UsageError
from .positions import BITS_32, BITS_64, Gtids, Lsn, Position, Server, bounded

__all__ = ["server_of"]

_POLL = (0.0005, 0.001, 0.002, 0.005)  # PostgreSQL: seconds between asking the replica, growing


class _PostgreSQL:
    name = "pg"

    def position(self, connection: Connection) -> Position | None:
        # The insert position, not pg_current_wal_lsn() (written out): a commit under
        # synchronous_commit=off returns before its WAL is written, visible on the primary.
        query = "SELECT pg_current_wal_insert_lsn()::text"
        return self.parse(connection.exec_driver_sql(query).scalar_one())

    def replayed(self, connection: Connection, wanted: Position, timeout: float) -> bool:
        query = text("SELECT pg_last_wal_replay_lsn() >= CAST(:wanted AS pg_lsn)")
        deadline = time.monotonic() + timeout
        for attempt in range(1_000_000):
            if connection.execute(query, {"wanted": str(wanted)}).scalar_one():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL[min(attempt, len(_POLL) - 1)])
        return False

    def lag(self, connection: Connection, timed: bool) -> float | None:
        """Seconds behind the primary; None when the replica is not replicating (or not a replica)."""
        # The WAL receiver's status is hidden from roles without pg_read_all_stats, which
        # still see its row: a receiver that runs.
        row = connection.exec_driver_sql(
            "SELECT pg_is_in_recovery(), (SELECT COALESCE(status, 'streaming') FROM pg_stat_wal_receiver), "
            "pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(), "
            "COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)::float"
        ).one()
        recovering, status, replayed_all, behind = row
        if not recovering or status != "streaming":
            return None
        return 0.0 if replayed_all else float(behind)

    def parse(self, value: str) -> Position:
        high, _, low = value.partition("/")
        try:
            return Lsn(bounded((int(high, 16), int(low, 16)), (BITS_32, BITS_32)))
        except ValueError:
            raise UsageError(f"{value!r} is not a PostgreSQL WAL position (such as 0/3000060)") from None


class _MariaDB:
    name = "mariadb"

    def position(self, connection: Connection) -> Position | None:
        value = connection.exec_driver_sql("SELECT @@gtid_binlog_pos").scalar_one()
        return self.parse(value) if value else None

    def replayed(self, connection: Connection, wanted: Position, timeout: float) -> bool:
        query = text("SELECT MASTER_GTID_WAIT(:wanted, :timeout)")
        return bool(connection.execute(query, {"wanted": str(wanted), "timeout": timeout}).scalar_one() == 0)

    def lag(self, connection: Connection, timed: bool) -> float | None:
        """As PostgreSQL's; the seconds (``timed``) need the SLAVE MONITOR privilege, the rest none."""
        running = connection.exec_driver_sql("SHOW GLOBAL STATUS LIKE 'Slave_running'").first()
        if running is None or running[1] != "ON":  # both replication threads run
            return None
        if not timed:
            return 0.0
        row = connection.exec_driver_sql("SHOW SLAVE STATUS").mappings().first()
        if row is None or row["Slave_IO_Running"] != "Yes" or row["Slave_SQL_Running"] != "Yes":
            return None
        behind = row["Seconds_Behind_Master"]
        return None if behind is None else float(behind)

    def parse(self, value: str) -> Position:
        gtids: list[tuple[int, int, int]] = []
        for part in filter(None, value.split(",")):
            try:
                numbers = tuple(int(number) for number in part.strip().split("-"))
                domain, server, seq = bounded(numbers, (BITS_32, BITS_32, BITS_64))
            except ValueError:
                raise UsageError(f"{value!r} is not a MariaDB GTID position (such as 0-1-42)") from None
            gtids.append((domain, server, seq))
        return Gtids(sorted(gtids))


_SERVERS: dict[str, Server] = {"postgresql": _PostgreSQL(), "mysql": _MariaDB(), "mariadb": _MariaDB()}


def server_of(dialect_name: str) -> Server | None:
    """The replication of the ``dialect_name`` database; None where datalayer routes none (SQLite)."""
    return _SERVERS.get(dialect_name)
