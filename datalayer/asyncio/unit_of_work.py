"""AsyncUnitOfWork: the unit of work's own ``with`` block, entered with ``async with``.

The block is :class:`~datalayer.UnitOfWork`'s, run through the greenlet bridge on
an :class:`AsyncSession`'s ``sync_session``: commit on clean exit, rollback on any
exception (cancellation included), translated errors, the guard against
committing what the database rolled back. A unit belongs to the task that
entered it, as a sync unit belongs to its thread.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from sqlalchemy.engine import Dialect

from .._declared import Declared, declared_repositories
from ..session import Session
from ..unit_of_work import UnitOfWork, configure
from ._bridge import call
from .repository import AsyncRepository
from .session import AsyncSession

if TYPE_CHECKING:
    from .database import AsyncDatabase

__all__ = ["AsyncUnitOfWork"]

M = TypeVar("M")


class AsyncUnitOfWork:
    """Owns one :class:`AsyncSession` and its transaction for the length of an ``async with`` block.

    Clean exit commits; an exception, or the task's cancellation, rolls back and
    propagates; either way the session is closed and its connection goes back to
    the pool. Errors leave the block as :mod:`datalayer.errors` classes, exactly
    as from :class:`~datalayer.UnitOfWork`. Repositories declared as annotations
    (``users: Users``, an :class:`~repositories.AsyncRepository`) are built on the
    unit's session on entry.

    Example::

        class AppUnitOfWork(AsyncUnitOfWork):
            database = adb
            users: Users

        async with AppUnitOfWork() as uow:
            user = await uow.users.first_or_create(email="foo@example.com")
        # committed here

    .. versionadded:: 0.1.0
    """

    database: AsyncDatabase
    read_only: bool = False
    """A read-only unit never commits: clean exit rolls back, and writes are refused."""

    def __init__(self, database: AsyncDatabase | None = None, *, read_only: bool | None = None) -> None:
        configure(self, database, read_only, "AsyncUnitOfWork(adb)")
        self._block = _Block(self)

    @property
    def session(self) -> AsyncSession:
        """The unit's session; only available inside the ``async with`` block."""
        self._block.session  # noqa: B018 (raises the UsageError of an inactive unit)
        return self._block.async_session

    async def __aenter__(self) -> Self:
        self._block.__enter__()  # no I/O: opens the session, builds the repositories
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await call(self._block.__exit__, exc_type, exc, traceback)

    async def commit(self) -> None:
        """Commit the work so far; the unit stays usable (see :meth:`datalayer.UnitOfWork.commit`)."""
        await call(self._block.commit)

    async def rollback(self) -> None:
        """Undo the work since the last commit; the unit stays usable."""
        await call(self._block.rollback)

    def repository(self, model: type[M]) -> AsyncRepository[M]:
        """An :class:`~repositories.AsyncRepository` of ``model`` on this unit's session."""
        return AsyncRepository(self.session, model)

    if not TYPE_CHECKING:  # keep type checkers strict about attribute names

        def __getattr__(self, name: str) -> Any:
            # Only reached for missing attributes: the declared repositories live on the block.
            if name not in ("_block", "database") and name in self._block._repository_names():
                try:
                    return self._block.__dict__[name]
                except KeyError:
                    raise AttributeError(
                        f"{type(self).__name__}.{name} exists only inside the `async with` block",
                        name=name,
                        obj=self,
                    ) from None
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self
            )


class _Block(UnitOfWork):
    """The sync unit of work an AsyncUnitOfWork runs, on its AsyncSession's ``sync_session``."""

    _with = "async with"

    def __init__(self, owner: AsyncUnitOfWork) -> None:  # no super(): the owner has the database
        self._owner = owner
        self.read_only = owner.read_only

    @property
    def _name(self) -> str:
        return type(self._owner).__name__

    def _entrant(self) -> tuple[object, str]:
        task = asyncio.current_task()
        return (task if task is not None else super()._entrant()[0]), "task"

    def _open(self) -> Session:
        self.async_session = self._owner.database.Session(**self._session_options())
        return self.async_session.sync_session

    def _dialect(self) -> Dialect:
        return self._owner.database.engine.dialect

    def _build_repositories(self, session: Session) -> dict[str, Any]:
        declared = _declared_repositories(type(self._owner))
        return {name: cls(self.async_session, model) for name, cls, model in declared}

    def _repository_names(self) -> tuple[str, ...]:
        return tuple(name for name, _, _ in _declared_repositories(type(self._owner)))


def _declared_repositories(cls: type[AsyncUnitOfWork]) -> Declared[AsyncRepository[Any]]:
    return declared_repositories(cls, AsyncUnitOfWork, _REPOSITORY)


_REPOSITORY: type[AsyncRepository[Any]] = AsyncRepository
