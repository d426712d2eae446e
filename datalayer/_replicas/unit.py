"""What a unit of work asks of its Database's router: where to read, its token, a lost replica."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from ..errors import UsageError
from . import router_of

__all__ = ["lost", "read_bind", "token_after", "waited_for"]


def waited_for(read_only: bool, token: object) -> str | None:
    """A read-only unit's ``token=``; refused on a unit that writes (it runs on the primary anyway)."""
    if token is not None and not read_only:
        raise UsageError(
            "token= is for read-only units (read_only=True), which may run on a replica: a unit that "
            "writes runs on the primary, which holds every commit"
        )
    if token is not None and not isinstance(token, str):  # from a cookie or a form: anything
        raise UsageError(f"token= takes the string a unit's .token gave, not {type(token).__name__}")
    return token


def read_bind(database: Any, token: str | None) -> Engine | None:
    """The engine a read-only unit of ``database`` runs on: None for the session factory's own bind.

    Routed only where the factory binds the primary engine: a factory bound to a
    connection (the testing toolkit's isolation) is left alone, and so is a
    Database without replicas, where every read is on the primary and a
    ``token`` has nothing to wait for.
    """
    router = router_of(database.engine)
    if router is None or database.Session.kw.get("bind") is not database.engine:
        return None
    return router.read_engine(token)


def token_after(database: Any, commits: int, unit: str) -> str | None:
    """The token of a unit that committed ``commits`` times; None without replicas."""
    if commits == 0:
        raise UsageError(f"{unit}.token is known once the unit has committed: read it after the with block")
    router = router_of(database.engine)
    return None if router is None else router.token()


def lost(database: Any, engine: Engine | None) -> None:
    """A unit on ``engine`` lost its connection: a replica is skipped for a while."""
    router = router_of(database.engine)
    if router is not None and engine is not None:
        router.failed(engine)
