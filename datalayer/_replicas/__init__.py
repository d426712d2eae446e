"""Read replicas: read-only units on a replica that has replayed what they must see.

The primary keeps every write and every read-write unit; see :mod:`.router` for
the choice of a read-only unit's engine, :mod:`.servers` for what each server
is asked, and :mod:`.positions` for the positions and tokens.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import URL, event
from sqlalchemy.engine import Connection, Engine

from .._guard import autocommit, ends
from .._urls import shown
from .._views import ignores_selects
from ..errors import UsageError
from .router import ASKING, Router
from .servers import server_of

__all__ = ["Router", "routed", "router_of"]

_routers: weakref.WeakKeyDictionary[Engine, weakref.ref[Router]] = weakref.WeakKeyDictionary()
"""Each primary engine's router, weakly both ways: the router holds its engine (a strong value would keep
the engine, its Database and its pools alive for good), and the engine's commit counting holds the router."""


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
        refused = _refusal(engine, primary)
        if refused is not None:
            for made in engines:
                made.dispose()
            raise UsageError(refused)
    router = Router(primary, engines, server, max_lag=max_lag, wait=wait)
    _routers[primary] = weakref.ref(router)
    _count_commits(primary, router)
    return router


def _refusal(replica: Engine, primary: Engine) -> str | None:
    """Why ``replica`` cannot serve the read-only units of ``primary``'s Database; None if it can."""
    if replica.dialect.name != primary.dialect.name:
        return (
            f"replica {shown(replica.url)!r} is a {replica.dialect.name} database, the primary a "
            f"{primary.dialect.name} one: a replica replicates its primary"
        )
    if replica.dialect.is_async:
        return (
            f"replica {shown(replica.url)!r} has an asyncio driver ({replica.dialect.driver}): a Database's "
            "units run without asyncio, give the replica the driver of the primary's URL"
        )
    return None


def router_of(engine: object) -> Router | None:
    """The router of the Database whose primary engine is ``engine``, if it has replicas."""
    found = _routers.get(engine) if isinstance(engine, Engine) else None  # pyright: ignore[reportUnknownArgumentType]
    return None if found is None else found()


def _count_commits(primary: Engine, router: Router) -> None:
    """Have every commit through ``primary`` (sessions, units, Core connections) move the router's counter.

    Counted once the database has answered, or failed to (a COMMIT whose answer was
    lost, CommitUnknownError, may have been made): a read-only unit starting after
    the commit returned then asks the primary where it stands, past that commit. No
    event of SQLAlchemy runs after a COMMIT (``commit`` runs before it is sent),
    so the dialect's own ``do_commit`` of this engine is wrapped. Commits that
    send no COMMIT of SQLAlchemy's are counted after their statement: a write at
    the AUTOCOMMIT isolation level, and a statement that ended the transaction by
    itself (a COMMIT sent as SQL, DDL on MariaDB), as the transaction guard sees.
    """
    dialect = primary.dialect
    commit = dialect.do_commit

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:  # a COMMIT whose answer was lost may have been made: the next read must see it
            router.committed()

    setattr(dialect, "do_commit", do_commit)  # noqa: B010 - on this engine's dialect object alone

    def after_cursor_execute(
        connection: Connection, _cursor: Any, _sql: Any, _params: Any, context: Any, _many: Any
    ) -> None:
        info = connection.info
        ended = ends(info)
        if ended != info.get(_COUNTED, 0):
            info[_COUNTED] = ended
            router.committed()
        elif (
            autocommit(connection)
            and (context.compiled is None or context.is_text or context.isddl or context.is_crud)
            and not context.execution_options.get(ASKING)
        ):
            router.committed()  # SQL text, DDL, an INSERT, UPDATE or DELETE: it may have written

    ignores_selects(after_cursor_execute)  # a view's SELECT, not at AUTOCOMMIT's text or DDL, ends nothing
    event.listen(primary, "after_cursor_execute", after_cursor_execute)


_COUNTED = "datalayer_replicas_counted"  # connection info: the guard's count of ended transactions, counted
