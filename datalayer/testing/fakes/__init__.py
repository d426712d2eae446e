"""In-memory fakes of Repository and UnitOfWork, for unit tests of services with no database.

Emulated, as the real ones do it: keyword filters by Python equality (None
matches None); ``all`` and ``first`` ordered by primary key; attribute names and
models checked by the real helpers' own checks (``UnknownAttributeError``,
``UnmappedClassError``); single-column integer autoincrement keys assigned from
a counter (never reused, moved past explicit keys); scalar Python-side column
defaults; every unique key (primary key, unique constraints, unique indexes)
checked on ``create``/``add``/``create_many`` and again on commit (``ConflictError``,
after which the unit must be rolled back); ``create_many`` refusing the rows the
real one refuses, by the same checks; ``stream`` and ``page`` checking their
arguments and cursor as the real ones do; ``create_or_first`` returning the row that holds
the conflicting key, or ``ConflictError`` when the given attributes do not cover
it; one object per row within a unit; commit writing only the changed columns;
rollback dropping new objects, restoring deleted ones and resetting loaded
objects to the committed values; a unit sees others' commits, never their
uncommitted work. Object graphs: relationships loaded from foreign keys and
association rows (one object per row wherever it is reached), and a flush before
each read and commit that brings objects put in relationships into the unit and
writes their foreign keys and association rows; rollback restores relationships.

Not emulated: SQL (no ``select``/``scalars``: write custom queries in Python on
a :class:`FakeRepository` subclass), a stream's server-side cursor (the matches
are read when the loop starts; a commit mid-loop raises ``StreamInterruptedError``
as on a database),
server and SQL-expression defaults, callable
defaults and ``onupdate`` (the attribute stays None), viewonly relationships and
joins on anything but foreign keys, delete cascades and delete-orphan, foreign
key checks, NOT NULL and CHECK constraints, collations
(MariaDB compares strings case-insensitively), type coercion, inheritance,
changing a primary key, locking and isolation levels (the last commit wins);
``add`` of an object from another unit inserts it as new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..._declared import Declared, declared_repositories
from ..._mapping import mapper_of
from ..._repository import Repository
from ..._unit_block import TransactionBlock
from ...errors import UsageError
from ._repository import FakeRepository
from ._store import FakeDatabase, FakeSession

__all__ = ["FakeDatabase", "FakeRepository", "FakeSession", "FakeUnitOfWork"]

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

    def __init__(self, database: FakeDatabase | None = None, **repositories: type[Any]) -> None:
        self.database = database if database is not None else FakeDatabase()
        self.commits = 0
        self.rollbacks = 0
        for name, given in repositories.items():
            if hasattr(self, name):
                raise UsageError(
                    f"{name!r} is a {type(self).__name__} attribute: name the repository otherwise"
                )
            if issubclass(given, Repository):
                raise UsageError(
                    f"{given.__name__} is a real repository: give the model, or a FakeRepository "
                    "subclass with its custom queries written in Python"
                )
            if not issubclass(given, FakeRepository):
                mapper_of(given)  # checked now rather than on entry
        self._repositories = dict(repositories)

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
        built = {name: cls(model, session=session) for name, cls, model in _declared(type(self))}
        return built | {name: _repository(given, session) for name, given in self._repositories.items()}

    def _repository_names(self) -> tuple[str, ...]:
        declared = tuple(name for name, _, _ in _declared(type(self)))
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


def _declared(cls: type[FakeUnitOfWork]) -> Declared[FakeRepository[Any]]:
    """The repositories ``cls`` declares as annotations, read as the real unit reads its own."""
    return declared_repositories(cls, FakeUnitOfWork, _FAKE_REPOSITORY)


_FAKE_REPOSITORY: type[FakeRepository[Any]] = FakeRepository


def _repository(given: type[Any], session: FakeSession) -> FakeRepository[Any]:
    if FakeRepository in given.__mro__:  # not issubclass: the checkers would narrow to two different types
        return cast("type[FakeRepository[Any]]", given)(session=session)
    return FakeRepository(given, session=session)
