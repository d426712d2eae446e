"""The session that factories write to: the current test's."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.orm import Session

from ..errors import UsageError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["commits", "current_session", "use_session"]

S = TypeVar("S", bound="Session | AsyncSession")

_stack: list[tuple[Session, bool]] = []


@contextmanager
def use_session(session: S, *, commit: bool = False) -> Generator[S, None, None]:
    """Make ``session`` the one factories write to for the length of the block.

    With ``commit``, factories commit after each object instead of flushing (for
    tests that need their data visible to other connections). An AsyncSession is
    written to through its ``sync_session``: its factories are awaited, with
    ``await UserFactory.create_async()``.
    """
    entry = (session if isinstance(session, Session) else session.sync_session, commit)
    _stack.append(entry)
    try:
        yield session
    finally:
        _stack.remove(entry)


def current_session() -> Session:
    """The session of the running test; :class:`UsageError` when no test provides one."""
    if not _stack:
        raise UsageError(
            "no test session: request the db_session fixture (or committing_db, async_db_session, "
            "async_committing_db) in this test, or wrap the code in datalayer.testing.use_session(session)"
        )
    return _stack[-1][0]


def commits() -> bool:
    """Whether factories commit (rather than flush) in the current test."""
    return bool(_stack) and _stack[-1][1]
