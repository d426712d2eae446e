"""Read replicas: read-only units on a replica that has replayed what they must see.

The primary keeps every write and every read-write unit; see :mod:`.router` for
the choice of a read-only unit's engine and :mod:`.positions` for the servers'
replication positions.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import URL
from sqlalchemy.engine import Engine

from .._urls import shown
from ..errors import UsageError
from .positions import server_of
from .router import Router

__all__ = ["Router", "routed", "router_of"]

_routers: weakref.WeakKeyDictionary[Engine, Router] = weakref.WeakKeyDictionary()


def routed(
    primary: Engine,
    replicas: Sequence[str | URL],
    make: Callable[[str | URL], Engine],
    max_lag: float | None,
    wait: float,
) -> Router | None:
    """The router of a Database with ``replicas`` (engines made by ``make``); None without any."""
    if isinstance(replicas, (str, URL)):
        raise UsageError("replicas= takes a list of URLs: replicas=[url], not one URL")
    if max_lag is not None and not max_lag > 0:
        raise UsageError(f"max_lag={max_lag!r}: give a number of seconds above 0, or None for no limit")
    if not wait >= 0:
        raise UsageError(f"replica_wait={wait!r}: give a number of seconds, 0 or more")
    if not replicas:
        return None
    server = server_of(primary.dialect.name)
    if server is None:
        raise UsageError(
            f"replicas= routes reads to PostgreSQL and MariaDB streaming replicas; {primary.dialect.name} "
            "has none: use one Database per file instead"
        )
    engines = [make(url) for url in replicas]
    for engine in engines:
        if engine.dialect.name != primary.dialect.name:
            for made in engines:
                made.dispose()
            raise UsageError(
                f"replica {shown(engine.url)!r} is a {engine.dialect.name} database, the primary a "
                f"{primary.dialect.name} one: a replica replicates its primary"
            )
    router = _routers[primary] = Router(primary, engines, server, max_lag=max_lag, wait=wait)
    _count_commits(primary, router)
    return router


def router_of(engine: object) -> Router | None:
    """The router of the Database whose primary engine is ``engine``, if it has replicas."""
    return _routers.get(engine) if isinstance(engine, Engine) else None  # pyright: ignore[reportUnknownArgumentType]


def _count_commits(primary: Engine, router: Router) -> None:
    """Have every COMMIT through ``primary`` (sessions, units, Core connections) move the router's counter.

    Counted once the database has answered: a read-only unit starting after the
    commit returned then asks the primary where it stands, past that commit. No
    event of SQLAlchemy runs after a COMMIT (``commit`` runs before it is sent),
    so the dialect's own ``do_commit`` of this engine is wrapped.
    """
    dialect = primary.dialect
    commit = dialect.do_commit

    def do_commit(dbapi_connection: Any) -> None:
        commit(dbapi_connection)
        router.committed()

    setattr(dialect, "do_commit", do_commit)  # noqa: B010 - on this engine's dialect object alone
