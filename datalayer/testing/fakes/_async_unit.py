"""FakeAsyncUnitOfWork: FakeUnitOfWork's own block, entered with ``async with``."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from ..._declared import Declared, declared_repositories
from ._async_repository import FakeAsyncRepository
from ._store import FakeDatabase, FakeSession
from ._unit import FakeUnitOfWork

__all__ = ["FakeAsyncUnitOfWork"]

M = TypeVar("M")


class FakeAsyncUnitOfWork:
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

    async def __aenter__(self) -> Self:
        self._block.__enter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._block.__exit__(exc_type, exc, traceback)

    async def commit(self) -> None:
        """Commit the work so far to the fake database; the unit stays usable."""
        self._block.commit()

    async def rollback(self) -> None:
        """Undo the work since the last commit; the unit stays usable."""
        self._block.rollback()

    def repository(self, model: type[M]) -> FakeAsyncRepository[M]:
        """A :class:`FakeAsyncRepository` of ``model`` on this unit's session."""
        return FakeAsyncRepository(model, session=self.session)

    if TYPE_CHECKING:
        # The keyword repositories, typed Any (uow.repository(Model) is the precisely typed way).
        def __getattr__(self, name: str) -> Any: ...

    else:

        def __getattr__(self, name: str) -> Any:
            # Only reached for missing attributes: the repositories live on the block.
            if name != "_block" and name in self._block._repository_names():
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


class _Block(FakeUnitOfWork):
    """The fake unit a FakeAsyncUnitOfWork runs: its repositories are the async fronts."""

    _with = "async with"
    _fake = FakeAsyncRepository

    def __init__(
        self, owner: FakeAsyncUnitOfWork, database: FakeDatabase | None, repositories: dict[str, type[Any]]
    ) -> None:
        self._owner = owner
        super().__init__(database, **repositories)

    def _taken(self, name: str) -> bool:
        return hasattr(type(self._owner), name)

    def _declared(self) -> Declared[Any]:
        return declared_repositories(type(self._owner), FakeAsyncUnitOfWork, self._fake)

    @property
    def _name(self) -> str:
        return type(self._owner).__name__

    def _entrant(self) -> tuple[object, str]:
        task = asyncio.current_task()
        return (task if task is not None else super()._entrant()[0]), "task"
