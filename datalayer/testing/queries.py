"""Counting the SQL statements a block runs: the N+1 guard."""

from __future__ import annotations

import re
from collections.abc import Generator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import event
from sqlalchemy.engine import Engine

from ..database import Database

if TYPE_CHECKING:  # datalayer.asyncio needs greenlet, which the sync tools do without
    from sqlalchemy.ext.asyncio import AsyncEngine

    from ..asyncio import AsyncDatabase

__all__ = ["QueryLog", "assert_queries", "count_queries"]

# Transaction control is not counted: a test's savepoints would otherwise change the counts.
_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE\b)", re.IGNORECASE)


class QueryLog:
    """The statements run on an engine while the log was open, transaction control left out."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.round_trips = 0
        """Every statement sent, transaction control included."""

    def __len__(self) -> int:
        return len(self.statements)

    def __repr__(self) -> str:
        return f"QueryLog({len(self)} statements)"

    def report(self) -> str:
        """The statements, numbered, one per line."""
        return "\n".join(f"{n}. {' '.join(s.split())}" for n, s in enumerate(self.statements, start=1))

    def record(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        """Keep ``statement`` unless it is transaction control (a ``before_cursor_execute`` listener)."""
        self.round_trips += 1
        if not _CONTROL.match(statement):
            self.statements.append(statement)


Target: TypeAlias = "Database | Engine | AsyncDatabase | AsyncEngine"
"""What the statements are counted on: a database or an engine, sync or async."""


def _engine(target: Target) -> Engine:
    """The sync engine whose events see ``target``'s statements (an AsyncEngine's ``sync_engine``)."""
    if isinstance(target, Engine):
        return target
    if isinstance(target, Database):
        return target.engine
    from sqlalchemy.ext.asyncio import AsyncEngine  # imported already, since target is async

    engine = target if isinstance(target, AsyncEngine) else target.engine
    return engine.sync_engine


@contextmanager
def count_queries(target: Target) -> Generator[QueryLog, None, None]:
    """Log the statements the block runs on ``target``'s engine (every connection, every thread).

    An AsyncDatabase or AsyncEngine is counted through its sync engine, which
    sees every statement its async units, sessions and connections send: the
    block may await, ``with count_queries(adb) as log: await ...``.
    """
    log = QueryLog()
    engine = _engine(target)
    event.listen(engine, "before_cursor_execute", log.record)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", log.record)


@contextmanager
def assert_queries(target: Target, expected: int) -> Generator[QueryLog, None, None]:
    """Fail unless the block runs exactly ``expected`` statements; the failure lists them.

    BEGIN, COMMIT, ROLLBACK and SAVEPOINT statements are not counted, so a count
    is the same in an isolated test as in production. Example::

        with assert_queries(db, 1):
            db.s.first(User, email="a@example.com")

        with assert_queries(adb, 1):  # an AsyncDatabase: the block awaits
            await session.first(User, email="a@example.com")
    """
    with count_queries(target) as log:
        yield log
    if len(log) != expected:
        raise AssertionError(f"expected {expected} statements, the block ran {len(log)}:\n{log.report()}")
