"""Read replicas: read-only units on a replica that has replayed what they must see.

The primary keeps every write and every read-write unit; see :mod:`.router` for
the choice of a read-only unit's engine and :mod:`.positions` for the servers'
replication positions.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence

from sqlalchemy import URL, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

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
    return router


def router_of(engine: object) -> Router | None:
    """The router of the Database whose primary engine is ``engine``, if it has replicas."""
    return _routers.get(engine) if isinstance(engine, Engine) else None  # pyright: ignore[reportUnknownArgumentType]


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    # Any session's commit on a routed primary (units, db.s, db.Session()): the next read-only
    # unit of the process must see it. A released SAVEPOINT commits nothing.
    if not _routers or session.in_nested_transaction():
        return
    router = router_of(session.bind)
    if router is not None:
        router.committed()
