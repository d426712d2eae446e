"""RepositoryContract[M]: the methods a service may call on a repository, real or fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, Literal, Protocol, TypeVar, overload

__all__ = ["AsyncRepositoryContract", "RepositoryContract"]

M = TypeVar("M")


class RepositoryContract(Protocol[M]):
    """The public surface of :class:`~repositories.Repository` that its in-memory fake shares.

    Type a service's repositories with it, and the service accepts both
    ``Repository[Model]`` (and subclasses) and ``FakeRepository[Model]``.
    ``select()`` and ``scalars()`` are left out: SQL does not run in memory.

    Example::

        def rename(users: RepositoryContract[User], user_id: int, name: str) -> User:
            user = users.get_one(user_id)
            user.name = name
            return user
    """

    @property
    def model(self) -> type[M]:
        """The mapped class the repository reads and writes."""
        ...

    def get(self, ident: Any = ..., /, **key: Any) -> M | None:
        """The object with this primary key, or None."""
        ...

    def get_one(self, ident: Any = ..., /, **key: Any) -> M:
        """:meth:`get`, but :class:`~datalayer.errors.NotFoundError` when there is no such object."""
        ...

    def all(self, **attrs: Any) -> list[M]:
        """Every object whose attributes equal ``attrs``, ordered by primary key."""
        ...

    def first(self, **attrs: Any) -> M | None:
        """The matching object with the lowest primary key, or None."""
        ...

    def create(self, **attrs: Any) -> M:
        """A new object built from ``attrs``, added to the unit's transaction."""
        ...

    def first_or_create(self, **attrs: Any) -> M:
        """The first matching object, created if there is none."""
        ...

    def create_or_first(self, **attrs: Any) -> M:
        """Create the object, or return the one already holding its unique key."""
        ...

    @overload
    def create_many(
        self, rows: Iterable[Mapping[str, Any]], *, returning: Literal[True] = True
    ) -> list[M]: ...
    @overload
    def create_many(self, rows: Iterable[Mapping[str, Any]], *, returning: Literal[False]) -> int: ...
    @overload
    def create_many(self, rows: Iterable[Mapping[str, Any]], *, returning: bool) -> list[M] | int: ...
    def create_many(self, rows: Iterable[Mapping[str, Any]], *, returning: bool = True) -> list[M] | int:
        """Insert every row or none; the objects in the rows' order, or (``returning=False``) their number."""
        ...

    def upsert(self, *, match: str | Iterable[str], **values: Any) -> M:
        """Insert the row, or update the one holding the ``match`` key with the other values."""
        ...

    def upsert_many(self, rows: Iterable[Mapping[str, Any]], *, match: str | Iterable[str]) -> list[M]:
        """:meth:`upsert` every row; the objects, in the rows' order."""
        ...

    def stream(self, batch_size: int = 1000, **attrs: Any) -> Iterator[M]:
        """Every matching object, by primary key."""
        ...

    def page(self, size: int, after: Any = None, **attrs: Any) -> list[M]:
        """Up to ``size`` matching objects whose primary key follows ``after``."""
        ...

    def count(self, **attrs: Any) -> int:
        """How many objects match ``attrs``."""
        ...

    def exists(self, **attrs: Any) -> bool:
        """Whether any object matches ``attrs``."""
        ...

    def add(self, obj: M) -> M:
        """Add ``obj``, built by the caller."""
        ...

    def delete(self, obj: M) -> None:
        """Delete ``obj``."""
        ...


class AsyncRepositoryContract(Protocol[M]):
    """The public surface of :class:`~repositories.AsyncRepository` that its in-memory fake shares.

    :class:`RepositoryContract`'s methods, awaitable; ``stream`` is an async iterator.

    Example::

        async def rename(users: AsyncRepositoryContract[User], user_id: int, name: str) -> User:
            user = await users.get_one(user_id)
            user.name = name
            return user

    .. versionadded:: 0.1.0
    """

    @property
    def model(self) -> type[M]:
        """The mapped class the repository reads and writes."""
        ...

    async def get(self, ident: Any = ..., /, **key: Any) -> M | None:
        """The object with this primary key, or None."""
        ...

    async def get_one(self, ident: Any = ..., /, **key: Any) -> M:
        """:meth:`get`, but :class:`~datalayer.errors.NotFoundError` when there is no such object."""
        ...

    async def all(self, **attrs: Any) -> list[M]:
        """Every object whose attributes equal ``attrs``, ordered by primary key."""
        ...

    async def first(self, **attrs: Any) -> M | None:
        """The matching object with the lowest primary key, or None."""
        ...

    async def create(self, **attrs: Any) -> M:
        """A new object built from ``attrs``, added to the unit's transaction."""
        ...

    async def first_or_create(self, **attrs: Any) -> M:
        """The first matching object, created if there is none."""
        ...

    async def create_or_first(self, **attrs: Any) -> M:
        """Create the object, or return the one already holding its unique key."""
        ...

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
        """Insert every row or none; the objects in the rows' order, or (``returning=False``) their number."""
        ...

    async def upsert(self, *, match: str | Iterable[str], **values: Any) -> M:
        """Insert the row, or update the one holding the ``match`` key with the other values."""
        ...

    async def upsert_many(self, rows: Iterable[Mapping[str, Any]], *, match: str | Iterable[str]) -> list[M]:
        """:meth:`upsert` every row; the objects, in the rows' order."""
        ...

    def stream(self, batch_size: int = 1000, **attrs: Any) -> AsyncIterator[M]:
        """Every matching object, by primary key: ``async for``."""
        ...

    async def page(self, size: int, after: Any = None, **attrs: Any) -> list[M]:
        """Up to ``size`` matching objects whose primary key follows ``after``."""
        ...

    async def count(self, **attrs: Any) -> int:
        """How many objects match ``attrs``."""
        ...

    async def exists(self, **attrs: Any) -> bool:
        """Whether any object matches ``attrs``."""
        ...

    async def add(self, obj: M) -> M:
        """Add ``obj``, built by the caller."""
        ...

    async def delete(self, obj: M) -> None:
        """Delete ``obj``."""
        ...
