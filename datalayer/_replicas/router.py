"""Where a Database's read-only units run: a healthy replica that has replayed what they must see.

Read-your-writes: every commit on the primary in this process moves a counter;
the next read-only unit reads the primary's position once (one query, shared
by every unit that starts before the next commit) and runs on a replica only
once that replica has replayed it (waiting at most ``wait`` seconds), else on
the primary. A token from another process adds its position. A replica that
fails is skipped, and tried again after a back-off (0.5 s, doubling with each
check that fails, at most 30 s; the units that failed with it count once) with
a check first; one whose replication has stopped or lags past ``max_lag``
seconds (checked at most once a second) is skipped too. Nothing here raises to
the caller: the primary is always the answer left.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence

import attrs
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from .positions import Position, Server, from_token, to_token

__all__ = ["ASKING", "Router"]

_LAG_EVERY = 1.0  # seconds between two checks of a replica's lag
_FIRST_BACKOFF, _LAST_BACKOFF = 0.5, 30.0
_UNREACHABLE = (sa_exc.DBAPIError, sa_exc.TimeoutError)  # a replica that cannot answer
ASKING = "datalayer_asking_position"  # execution option of the router's own questions to the primary


@attrs.define(eq=False)
class _Replica:
    engine: Engine
    down_until: float = 0.0
    backoff: float = 0.0
    suspect: bool = False  # failed before: check it before a unit runs there
    reached: Position | None = None  # the latest position it is known to have replayed
    lag_checked: float = float("-inf")
    lagging: bool = False


class Router:
    """Chooses the engine of each read-only unit of a Database with replicas."""

    def __init__(
        self,
        primary: Engine,
        replicas: Sequence[Engine],
        server: Server,
        *,
        max_lag: float | None,
        wait: float,
    ) -> None:
        self.primary = primary
        self._asking = primary.execution_options(**{ASKING: True})
        self.server = server
        self.max_lag = max_lag
        self.wait = wait
        self._replicas = [_Replica(engine) for engine in replicas]
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._commits = 0  # commits on the primary in this process
        self._fetched: tuple[int, Position | None] = (0, None)  # (commits then, the primary's position)

    @property
    def engines(self) -> list[Engine]:
        """The replicas' engines, in the order given."""
        return [replica.engine for replica in self._replicas]

    def committed(self) -> None:
        """A transaction committed on the primary: the next read-only unit must see it."""
        with self._lock:
            self._commits += 1

    def token(self) -> str | None:
        """The primary's position now, as a token (covers every commit that has returned)."""
        position = self._position()
        return None if position is None else to_token(self.server, position)

    def read_engine(self, token: str | None = None) -> Engine:
        """A replica that has replayed this process's commits (and ``token``'s), else the primary."""
        try:
            wanted = self._wanted(token)
        except _UNREACHABLE:
            # Where the primary stands could not be read (it is down, or a MySQL server, which has
            # no @@gtid_binlog_pos): the primary itself is never stale.
            return self.primary
        deadline = time.monotonic() + self.wait
        start = next(self._turn)
        count = len(self._replicas)
        for replica in (self._replicas[(start + i) % count] for i in range(count)):
            now = time.monotonic()
            if replica.down_until > now:
                continue
            try:
                if self._usable(replica, wanted, now, max(deadline - now, 0.0)):
                    return replica.engine
            except _UNREACHABLE:
                self._down(replica, now)
        return self.primary

    def failed(self, engine: Engine) -> None:
        """A unit lost its connection to ``engine``: if a replica, skip it for a while."""
        for replica in self._replicas:
            if replica.engine is engine:
                self._down(replica, time.monotonic())

    def _wanted(self, token: str | None) -> Position | None:
        commits, (fetched_at, position) = self._commits, self._fetched
        if commits != fetched_at:  # a commit since the last read: where the primary stands now
            position = self._position()
            with self._lock:
                if commits > self._fetched[0]:
                    self._fetched = (commits, position)
        if token is not None:
            given = from_token(self.server, token)
            position = given if position is None else position.merged(given)
        return position

    def _position(self) -> Position | None:
        """Where the primary stands now; asked with ``ASKING``, which no commit counting takes for a write."""
        with self._asking.connect() as connection:
            return self.server.position(connection)

    def _usable(self, replica: _Replica, wanted: Position | None, now: float, budget: float) -> bool:
        check_lag = now - replica.lag_checked >= _LAG_EVERY  # replicating at all, and how far behind
        wait = wanted is not None and (replica.reached is None or not replica.reached.covers(wanted))
        if not (check_lag or wait or replica.suspect):
            return not replica.lagging
        with replica.engine.connect() as connection:
            if check_lag or replica.suspect:
                self._check_lag(replica, connection, now)
            if replica.lagging:
                return False
            if wanted is not None and wait:
                if not self.server.replayed(connection, wanted, budget):
                    return False
                replica.reached = wanted if replica.reached is None else wanted.merged(replica.reached)
        replica.suspect, replica.backoff = False, 0.0
        return True

    def _check_lag(self, replica: _Replica, connection: Connection, now: float) -> None:
        lag = self.server.lag(connection, timed=self.max_lag is not None)
        replica.lag_checked = now
        replica.lagging = lag is None or (self.max_lag is not None and lag > self.max_lag)

    def _down(self, replica: _Replica, now: float) -> None:
        with self._lock:
            if replica.down_until > now:  # already skipped: the units that failed with it count once
                return
            replica.backoff = min(max(replica.backoff * 2, _FIRST_BACKOFF), _LAST_BACKOFF)
            replica.down_until = now + replica.backoff
            replica.suspect = True
            replica.reached = None
        # Its pooled connections are left to SQLAlchemy, which drops them all at the first
        # disconnect one of them reports.
