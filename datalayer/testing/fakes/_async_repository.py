"""FakeAsyncRepository[M]: the methods of AsyncRepository[M], awaitable fronts over FakeRepository[M]."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, ClassVar, Generic, Literal, TypeVar, overload

from ..._helpers import NO_IDENT
from ..._repository import chosen_model, model_argument
from ._repository import FakeRepository
from ._store import FakeSession

__all__ = ["FakeAsyncRepository"]

M = TypeVar("M")


class FakeAsyncRepository(Generic[M]):
    """An in-memory :class:`~repositories.AsyncRepository`: each method awaits the :class:`FakeRepository`'s.

    The ``sync`` attribute is that FakeRepository, on the same :class:`FakeSession`:
    the same store, the same checks, the same emulation (see
    :mod:`datalayer.testing.fakes`). Nothing is sent anywhere, so no driver and no
    greenlet are needed. ``select()`` and ``scalars()`` cannot run in memory: write
    a custom query as an ``async`` method on a subclass.

    Example::

        class FakeUsers(FakeAsyncRepository[User]):
            async def by_domain(self, domain: str) -> list[User]:
                return [user for user in await self.all() if user.email.endswith(domain)]

        users = FakeUsers()
        alice = await users.create(email="alice@x.org")
        assert await users.by_domain("@x.org") == [alice]
    """

    _model: ClassVar[type[Any] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._model = model_argument(cls, FakeAsyncRepository) or cls._model

    def __init__(self, model: type[M] | None = None, *, session: FakeSession | None = None) -> None:
        self.sync: FakeRepository[M] = FakeRepository(
            chosen_model(self, FakeAsyncRepository, model), session=session
        )
        self.model: type[M] = self.sync.model
        self.session: FakeSession = self.sync.session

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model.__name__})"

    async def get(self, ident: Any = NO_IDENT, /, **key: Any) -> M | None:
        """The object with this primary key, or None."""
        return self.sync.get(ident, **key)

    async def get_one(self, ident: Any = NO_IDENT, /, **key: Any) -> M:
        """:meth:`get`, but :class:`~datalayer.errors.NotFoundError` when there is no such object."""
        return self.sync.get_one(ident, **key)

    async def all(self, **attrs: Any) -> list[M]:
        """Every object whose attributes equal ``attrs``, ordered by primary key."""
        return self.sync.all(**attrs)

    async def first(self, **attrs: Any) -> M | None:
        """The matching object with the lowest primary key, or None."""
        return self.sync.first(**attrs)

    async def create(self, **attrs: Any) -> M:
        """Add ``Model(**attrs)`` to the fake transaction; a duplicate unique key raises ConflictError."""
        return self.sync.create(**attrs)

    async def first_or_create(self, **attrs: Any) -> M:
        """:meth:`first` by ``attrs``, then :meth:`create_or_first` on a miss. Never commits."""
        return self.sync.first_or_create(**attrs)

    async def create_or_first(self, **attrs: Any) -> M:
        """Create the object, or return the one holding its unique key; the rest of the work is kept."""
        return self.sync.create_or_first(**attrs)

    @overload
    async def create_many(
        self, rows: Iterable[Mapping[str, Any]], *, returning: Literal[True] = True
    ) -> list[M]: ...
    @overload
    async def create_many(self, rows: Iterable[Mapping[str, Any]], *, returning: Literal[False]) -> int: ...
    @overload
    async def create_many(self, rows: Iterable[Mapping[str, Any]], *, returning: bool) -> list[M] | int: ...
    async def create_many(
        self, rows: Iterable[Mapping[str, Any]], *, returning: bool = True
    ) -> list[M] | int:
        """Insert every row, in the rows' order, or none (the real one's checks); never commits."""
        return self.sync.create_many(rows, returning=returning)

    async def upsert(self, *, match: str | Iterable[str], **values: Any) -> M:
        """Add the object, or set the other values on the one holding the ``match`` key; never commits."""
        return self.sync.upsert(match=match, **values)

    async def upsert_many(self, rows: Iterable[Mapping[str, Any]], *, match: str | Iterable[str]) -> list[M]:
        """:meth:`upsert` every row (checked first); the objects in the rows' order; never commits."""
        return self.sync.upsert_many(rows, match=match)

    def stream(self, batch_size: int = 1000, **attrs: Any) -> AsyncIterator[M]:
        """Every matching object by primary key, ``async for``; the arguments are checked when called."""
        return _iterate(self.sync.stream(batch_size, **attrs))

    async def page(self, size: int, after: Any = None, **attrs: Any) -> list[M]:
        """Up to ``size`` matching objects whose primary key follows ``after`` (keyset pagination)."""
        return self.sync.page(size, after, **attrs)

    async def count(self, **attrs: Any) -> int:
        """How many objects match ``attrs``."""
        return self.sync.count(**attrs)

    async def exists(self, **attrs: Any) -> bool:
        """Whether any object matches ``attrs``."""
        return self.sync.exists(**attrs)

    async def add(self, obj: M) -> M:
        """Add ``obj`` (built by the caller) to the fake transaction; a duplicate key raises ConflictError."""
        return self.sync.add(obj)

    async def delete(self, obj: M) -> None:
        """Delete ``obj`` in the fake transaction; never commits."""
        self.sync.delete(obj)


async def _iterate(items: Iterator[M]) -> AsyncIterator[M]:
    """The sync fake stream, as an async iterator; leaving the loop early closes it."""
    try:
        for item in items:
            yield item
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()
