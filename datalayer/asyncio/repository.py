"""AsyncRepository[M]: a Repository's methods, awaitable, over an AsyncSession."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar, overload

from .._bridge import call, iterate
from .._helpers import NO_IDENT
from .._repository import Repository, chosen_model, model_argument

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["AsyncRepository"]

M = TypeVar("M")


class AsyncRepository(Generic[M]):
    """The data access of one model over an :class:`~sqlalchemy.ext.asyncio.AsyncSession`.

    Every method is :class:`~repositories.Repository`'s own, run through the
    greenlet bridge on the session's ``sync_session`` (the ``sync`` attribute is
    that Repository). Write methods flush, never commit; ``stream`` is an async
    iterator.

    Example::

        class Users(AsyncRepository[User]):
            async def by_email(self, email: str) -> User | None:
                return await self.first(email=email)

        users = Users(session)
        user = await users.first_or_create(email="foo@example.com")

    .. versionadded:: 0.1.0
    """

    _model: ClassVar[type[Any] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._model = model_argument(cls, AsyncRepository) or cls._model

    def __init__(self, session: AsyncSession, model: type[M] | None = None) -> None:
        self.session = session
        chosen = chosen_model(self, AsyncRepository, model)
        self.sync: Repository[M] = Repository(session.sync_session, chosen)
        self.model: type[M] = self.sync.model

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model.__name__})"

    async def get(self, ident: Any = NO_IDENT, /, **key: Any) -> M | None:
        """The object with this primary key (from the identity map when loaded), or None."""
        return await call(self.sync.get, ident, **key)

    async def get_one(self, ident: Any = NO_IDENT, /, **key: Any) -> M:
        """:meth:`get`, but :class:`~datalayer.errors.NotFoundError` when there is no such object."""
        return await call(self.sync.get_one, ident, **key)

    async def all(self, **attrs: Any) -> list[M]:
        """Every object whose attributes equal ``attrs``, ordered by primary key."""
        return await call(self.sync.all, **attrs)

    async def first(self, **attrs: Any) -> M | None:
        """The matching object with the lowest primary key, or None."""
        return await call(self.sync.first, **attrs)

    async def create(self, **attrs: Any) -> M:
        """Add a new object built from ``attrs`` and flush; never commits."""
        return await call(self.sync.create, **attrs)

    async def first_or_create(self, **attrs: Any) -> M:
        """The first matching object, created race-safely if there is none. Flushes, never commits."""
        return await call(self.sync.first_or_create, **attrs)

    async def create_or_first(self, **attrs: Any) -> M:
        """Create the object, or return the row already holding its unique key.

        A conflict undoes only this insert: the rest of the transaction is kept.
        Flushes, never commits.
        """
        return await call(self.sync.create_or_first, **attrs)

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
        """:meth:`Repository.create_many <datalayer.Repository.create_many>`, awaited. Never commits."""
        return await call(self.sync.create_many, rows, returning=returning)

    async def upsert(self, *, match: str | Iterable[str], **values: Any) -> M:
        """Insert the row, or update the one holding the ``match`` key with the rest; never commits."""
        return await call(self.sync.upsert, match=match, **values)

    async def upsert_many(self, rows: Iterable[Mapping[str, Any]], *, match: str | Iterable[str]) -> list[M]:
        """:meth:`upsert` every row, a statement per batch; the objects in the rows' order. Never commits."""
        return await call(self.sync.upsert_many, rows, match=match)

    def stream(self, batch_size: int = 1000, **attrs: Any) -> AsyncIterator[M]:
        """Every matching object by primary key, fetched ``batch_size`` rows at a time: ``async for``.

        The arguments are checked at once; the query runs when the loop starts.
        """
        return iterate(self.sync.stream(batch_size, **attrs), batch_size)

    async def page(self, size: int, after: Any = None, **attrs: Any) -> list[M]:
        """Up to ``size`` matching objects whose primary key follows ``after`` (keyset pagination)."""
        return await call(self.sync.page, size, after, **attrs)

    async def count(self, **attrs: Any) -> int:
        """How many objects match ``attrs``."""
        return await call(self.sync.count, **attrs)

    async def exists(self, **attrs: Any) -> bool:
        """Whether any object matches ``attrs``."""
        return await call(self.sync.exists, **attrs)

    async def add(self, obj: M) -> M:
        """Add ``obj`` (built by the caller) and flush; never commits."""
        return await call(self.sync.add, obj)

    async def delete(self, obj: M) -> None:
        """Delete ``obj`` and flush; never commits."""
        await call(self.sync.delete, obj)

    def select(self) -> Select[M]:
        """``select(Model)``, to refine and run with :meth:`scalars`."""
        return self.sync.select()

    async def scalars(self, statement: Select[M]) -> list[M]:
        """Run a ``select()`` of the model and return its objects."""
        return await call(self.sync.scalars, statement)
