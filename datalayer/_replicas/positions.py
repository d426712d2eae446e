"""Points of a primary's history: PostgreSQL's WAL positions, MariaDB's GTID positions, and tokens.

A position read from the primary after a commit returned covers that commit
(:mod:`.servers` reads them). Tokens carry a position as text between
processes: ``pg:0/3000060``, ``mariadb:0-1-42``.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.engine import Connection

from ..errors import UsageError

__all__ = ["BITS_32", "BITS_64", "Gtids", "Lsn", "Position", "Server", "bounded", "from_token", "to_token"]


class Position(Protocol):
    """A point of the primary's history."""

    def covers(self, other: Position) -> bool:
        """Whether this point includes ``other``."""
        ...

    def merged(self, other: Position) -> Position:
        """The earliest point that covers both."""
        ...


class Server(Protocol):
    """One kind of server's replication, as the router asks it."""

    name: str

    def position(self, connection: Connection) -> Position | None: ...
    def replayed(self, connection: Connection, wanted: Position, timeout: float) -> bool: ...
    def lag(self, connection: Connection, timed: bool) -> float | None: ...
    def parse(self, value: str) -> Position: ...


class Lsn(tuple[int, int]):
    """A PostgreSQL WAL position, ``0/3000060`` as ``(0, 0x3000060)``."""

    __slots__ = ()

    def covers(self, other: Position) -> bool:
        return isinstance(other, Lsn) and self >= other

    def merged(self, other: Position) -> Position:
        return max(self, other) if isinstance(other, Lsn) else self

    def __str__(self) -> str:
        return f"{self[0]:X}/{self[1]:X}"


class Gtids(tuple[tuple[int, int, int], ...]):
    """A MariaDB GTID position: ``(domain, server, sequence)``, the last of each replication domain."""

    __slots__ = ()

    def covers(self, other: Position) -> bool:
        reached = {domain: seq for domain, _, seq in self}
        return isinstance(other, Gtids) and all(reached.get(domain, -1) >= seq for domain, _, seq in other)

    def merged(self, other: Position) -> Position:
        latest = {gtid[0]: gtid for gtid in self}
        for gtid in other if isinstance(other, Gtids) else ():
            if gtid[2] > latest.get(gtid[0], (0, 0, -1))[2]:
                latest[gtid[0]] = gtid
        return Gtids(sorted(latest.values()))

    def __str__(self) -> str:
        return ",".join(f"{domain}-{server}-{seq}" for domain, server, seq in self)


BITS_32, BITS_64 = 2**32, 2**64


def bounded(numbers: tuple[int, ...], limits: tuple[int, ...]) -> tuple[int, ...]:
    """``numbers``, each from 0 up to its limit (excluded), as the server takes them; else ValueError.

    A token comes from a cookie or a form: the server would refuse a number past
    these with an error, which would count against the replica as a failure.
    """
    if len(numbers) != len(limits):
        raise ValueError(numbers)
    if not all(0 <= number < limit for number, limit in zip(numbers, limits, strict=True)):
        raise ValueError(numbers)
    return numbers


def to_token(server: Server, position: Position) -> str:
    """``position`` as a token: text to hand to another process."""
    return f"{server.name}:{position}"


def from_token(server: Server, token: str) -> Position:
    """The position in ``token``; a UsageError if it is not one of ``server``'s."""
    kind, _, value = token.partition(":")
    try:
        if kind == server.name and value:
            return server.parse(value)
    except UsageError:
        pass
    raise UsageError(
        f"{token!r} is not a read-your-writes token of this database: give the `token` a unit of work of "
        f"it exposed after committing (such as {server.name}:...)"
    )
