"""FakeAsyncUnitOfWork: FakeUnitOfWork's own block, entered with ``async with``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from ..._async_front import AsyncFront, TaskBlock
from ..._declared import Declared, declared_repositories
from ._async_repository import FakeAsyncRepository
from ._store import FakeDatabase, FakeSession
from ._unit import FakeUnitOfWork

__all__ = ["FakeAsyncUnitOfWork"]

M = TypeVar("M")


class FakeAsyncUnitOfWork(AsyncFront["_Block"]):
    """An in-memory :class:`~datalayer.asyncio.AsyncUnitOfWork`: FakeUnitOfWork's block, ``async with``.

    The block is FakeUnitOfWork's, on the same :class:`FakeDatabase` and
    :class:`FakeSession`: clean exit commits, an exception (or the task's
    cancellation) rolls back and propagates, ``await commit()`` and ``await
    rollback()`` work mid-block, and ``commits``, ``rollbacks``, ``committed`` and
    ``rolled_back`` tell what it did. Repositories are
    :class:`FakeAsyncRepository` objects, declared by annotations
    (``users: FakeAsyncRepository[User]``) or keywords (a model, or a
    FakeAsyncRepository subclass). A unit belongs to the task that entered it.

    Example::

        class FakeShop(FakeAsyncUnitOfWork):
            users: FakeAsyncRepository[User]

        database = FakeDatabase()
        async with FakeShop(database) as uow:
            await uow.users.create(email="a@x.org")
        assert uow.committed and len(database.rows(User)) == 1
    """

    def __init__(self, database: FakeDatabase | None = None, **repositories: type[Any]) -> None:
        self._block = _Block(self, database, repositories)

    @property
    def database(self) -> FakeDatabase:
        """The fake database the unit commits to."""
        return self._block.database

    @property
    def session(self) -> FakeSession:
        """The unit's fake session; only available inside the ``async with`` block."""
        return self._block.session

    @property
    def commits(self) -> int:
        """How many times the unit has committed."""
        return self._block.commits

    @property
    def rollbacks(self) -> int:
        """How many times the unit has rolled back."""
        return self._block.rollbacks

    @property
    def committed(self) -> bool:
        """Whether the unit has committed at least once."""
        return self._block.committed

    @property
    def rolled_back(self) -> bool:
        """Whether the unit has rolled back at least once."""
        return self._block.rolled_back

    def repository(self, model: type[M]) -> FakeAsyncRepository[M]:
        """A :class:`FakeAsyncRepository` of ``model`` on this unit's session."""
        return FakeAsyncRepository(model, session=self.session)

    if TYPE_CHECKING:
        # The keyword repositories, typed Any (uow.repository(Model) is the precisely typed way).
        def __getattr__(self, name: str) -> Any: ...


class _Block(TaskBlock, FakeUnitOfWork):
    """The fake unit a FakeAsyncUnitOfWork runs: its repositories are the async fronts."""

    _fake = FakeAsyncRepository
    _owner: FakeAsyncUnitOfWork

    def __init__(
        self, owner: FakeAsyncUnitOfWork, database: FakeDatabase | None, repositories: dict[str, type[Any]]
    ) -> None:
        self._owner = owner
        super().__init__(database, **repositories)

    def _taken(self, name: str) -> bool:
        return hasattr(type(self._owner), name)

    def _declared(self) -> Declared[Any]:
        return declared_repositories(type(self._owner), FakeAsyncUnitOfWork, self._fake)
