"""FakeUnitOfWork: the unit of work's ``with`` block over a fake session, in memory."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..._declared import Declared, declared_repositories
from ..._mapping import mapper_of
from ..._repository import Repository
from ..._unit_block import TransactionBlock
from ...errors import UsageError
from ._async_repository import FakeAsyncRepository
from ._repository import FakeRepository
from ._store import FakeDatabase, FakeSession

__all__ = ["FakeUnitOfWork"]

M = TypeVar("M")


class FakeUnitOfWork(TransactionBlock[FakeSession]):
    """An in-memory :class:`~datalayer.UnitOfWork`: one fake transaction per ``with`` block.

    Clean exit commits to the :class:`FakeDatabase` (given, or a fresh one per
    unit); an exception rolls back and propagates; ``commit()`` and
    ``rollback()`` work mid-block. ``commits`` and ``rollbacks`` count them; a
    commit that finds a unique conflict raises ConflictError and counts nothing.
    Objects stay readable after the block, but never reach the database again.
    Repositories are declared as on :class:`~datalayer.UnitOfWork`, by annotations
    on a subclass (``users: FakeRepository[User]`` or ``users: FakeUsers``), or
    by keywords (a model, or a :class:`FakeRepository` subclass), which take
    precedence; each is built on entry and removed on exit.

    Example::

        class FakeShop(FakeUnitOfWork):
            users: FakeRepository[User]

        database = FakeDatabase()
        with FakeShop(database) as uow:
            uow.users.create(email="a@x.org")
        assert uow.committed
        with FakeUnitOfWork(database, users=User) as uow:
            assert uow.users.count() == 1
    """

    _fake: ClassVar[type[Any]] = FakeRepository
    """The class of its repositories: FakeRepository (FakeAsyncRepository for FakeAsyncUnitOfWork's block)."""

    def __init__(self, database: FakeDatabase | None = None, **repositories: type[Any]) -> None:
        self.database = database if database is not None else FakeDatabase()
        self.commits = 0
        self.rollbacks = 0
        for name, given in repositories.items():
            if self._taken(name):
                raise UsageError(f"{name!r} is a {self._name} attribute: name the repository otherwise")
            if self._fake not in given.__mro__:
                if _repository_class(given):
                    kind = "a real repository" if _real(given) else f"not a {self._fake.__name__}"
                    raise UsageError(
                        f"{given.__name__} is {kind}: give the model, or a {self._fake.__name__} "
                        "subclass with its custom queries written in Python"
                    )
                mapper_of(given)  # checked now rather than on entry
        self._repositories = dict(repositories)

    def _taken(self, name: str) -> bool:
        """Whether ``name`` is an attribute of the unit, which a repository cannot be named."""
        return hasattr(self, name)

    def _declared(self) -> Declared[Any]:
        """The repositories the unit's class declares as annotations, read as the real unit reads its own."""
        return declared_repositories(type(self), FakeUnitOfWork, self._fake)

    @property
    def committed(self) -> bool:
        """Whether the unit has committed at least once."""
        return self.commits > 0

    @property
    def rolled_back(self) -> bool:
        """Whether the unit has rolled back at least once."""
        return self.rollbacks > 0

    def _open(self) -> FakeSession:
        return FakeSession(self.database)

    def _build_repositories(self, session: FakeSession) -> dict[str, Any]:
        built = {name: cls(model, session=session) for name, cls, model in self._declared()}
        return built | {name: self._built(given, session) for name, given in self._repositories.items()}

    def _built(self, given: type[Any], session: FakeSession) -> Any:
        """The repository a keyword gives: a model's, or an instance of the given subclass."""
        return given(session=session) if self._fake in given.__mro__ else self._fake(given, session=session)

    def _repository_names(self) -> tuple[str, ...]:
        declared = tuple(name for name, _, _ in self._declared())
        return tuple(dict.fromkeys((*declared, *self.__dict__.get("_repositories", ()))))

    def commit(self) -> None:
        """Commit the work so far to the fake database; the unit stays usable."""
        super().commit()
        self.commits += 1

    def rollback(self) -> None:
        """Undo the work since the last commit; the unit stays usable."""
        super().rollback()
        self.rollbacks += 1

    if TYPE_CHECKING:
        # The keyword repositories, typed Any (uow.repository(Model) is the precisely typed way).
        def __getattr__(self, name: str) -> Any: ...

    def repository(self, model: type[M]) -> FakeRepository[M]:
        """A :class:`FakeRepository` of ``model`` on this unit's session."""
        return FakeRepository(model, session=self.session)


def _repository_class(given: type[Any]) -> bool:
    """Whether ``given`` is a repository class of any kind, real or fake, sync or async."""
    return issubclass(given, Repository | FakeRepository | FakeAsyncRepository) or _real(given)


def _real(given: type[Any]) -> bool:
    """Whether ``given`` is a real repository class, sync or async."""
    real_async = sys.modules.get("datalayer.asyncio.repository")  # loaded if an AsyncRepository exists
    return issubclass(given, Repository) or (
        real_async is not None and issubclass(given, real_async.AsyncRepository)
    )
