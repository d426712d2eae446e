"""AsyncUnitOfWork: the unit of work's own ``with`` block, entered with ``async with``.

The block is :class:`~datalayer.UnitOfWork`'s, run through the greenlet bridge on
an :class:`AsyncSession`'s ``sync_session``: commit on clean exit, rollback on any
exception (cancellation included), translated errors, the guard against
committing what the database rolled back. A unit belongs to the task that
entered it, as a sync unit belongs to its thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from sqlalchemy.engine import Dialect

from .._async_front import AsyncFront, TaskBlock
from .._bridge import call
from .._declared import Declared, declared_repositories
from ..session import Session
from ..unit_of_work import UnitOfWork, configure
from .repository import AsyncRepository
from .session import AsyncSession

if TYPE_CHECKING:
    from .database import AsyncDatabase

__all__ = ["AsyncUnitOfWork"]

M = TypeVar("M")
P = ParamSpec("P")
T = TypeVar("T")


class AsyncUnitOfWork(AsyncFront["_Block"]):
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

    async def _run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await call(fn, *args, **kwargs)

    def repository(self, model: type[M]) -> AsyncRepository[M]:
        """An :class:`~repositories.AsyncRepository` of ``model`` on this unit's session."""
        return AsyncRepository(self.session, model)


class _Block(TaskBlock, UnitOfWork):
    """The sync unit of work an AsyncUnitOfWork runs, on its AsyncSession's ``sync_session``."""

    _owner: AsyncUnitOfWork

    def __init__(self, owner: AsyncUnitOfWork) -> None:  # no super(): the owner has the database
        self._owner = owner
        self.read_only = owner.read_only

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
