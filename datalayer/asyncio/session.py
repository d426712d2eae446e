"""AsyncSession: SQLAlchemy's, with datalayer's helpers as awaitable methods.

Each helper is the sync helper, run through the greenlet bridge on the session's
``sync_session``: one implementation, the same guarantees. Every helper flushes
and never commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar, overload

from sqlalchemy.ext import asyncio as sa_asyncio

from .. import _bulk, _helpers, _upsert
from .._bridge import call
from ..session import Session

__all__ = ["AsyncSession"]

M = TypeVar("M")
T = TypeVar("T")
P = ParamSpec("P")


class AsyncSession(sa_asyncio.AsyncSession):
    """A :class:`sqlalchemy.ext.asyncio.AsyncSession` with the session helpers, awaitable.

    Its ``sync_session`` is a :class:`datalayer.Session`.

    Example::

        async with adb.Session() as s:
            user = await s.first_or_create(User, email="foo@example.com")
            await s.commit()

    .. versionadded:: 0.1.0
    """

    sync_session_class = Session
    # Narrowed: this class makes its sync session from sync_session_class, always datalayer's.
    sync_session: Session  # pyright: ignore[reportIncompatibleVariableOverride]

    async def run_sync(  # pyright: ignore[reportIncompatibleMethodOverride]
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run the sync ``fn(sync_session, *args, **kwargs)`` through the bridge (SQLAlchemy's ``run_sync``).

        ``fn`` gets datalayer's :class:`~datalayer.Session`, helpers included.
        """
        return await call(fn, self.sync_session, *args, **kwargs)

    async def all(self, model: type[M], /, **attrs: Any) -> list[M]:
        """Every ``model`` object whose attributes equal ``attrs``, ordered by primary key."""
        return await call(_helpers.find_all, self.sync_session, model, **attrs)

    async def create(self, model: type[M], /, **attrs: Any) -> M:
        """Add ``model(**attrs)`` and flush; never commits."""
        return await call(_helpers.create, self.sync_session, model, **attrs)

    async def first(self, model: type[M], /, **attrs: Any) -> M | None:
        """The matching object with the lowest primary key, or None."""
        return await call(_helpers.first, self.sync_session, model, **attrs)

    async def first_or_create(self, model: type[M], /, **attrs: Any) -> M:
        """The first matching object, created (race-safely) if there is none. Flushes, never commits."""
        return await call(_helpers.first_or_create, self.sync_session, model, **attrs)

    async def create_or_first(self, model: type[M], /, **attrs: Any) -> M:
        """Create the object; if a unique key already holds it, return that row instead.

        A conflict undoes only this insert (a SAVEPOINT): the rest of the
        transaction is kept. Flushes, never commits.
        """
        return await call(_helpers.create_or_first, self.sync_session, model, **attrs)

    @overload
    async def create_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: Literal[True] = True
    ) -> list[M]: ...
    @overload
    async def create_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: Literal[False]
    ) -> int: ...
    @overload
    async def create_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: bool
    ) -> list[M] | int: ...
    async def create_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: bool = True
    ) -> list[M] | int:
        """:meth:`datalayer.Session.create_many`, awaited: the objects, or (``returning=False``) their number.

        On asyncio drivers ``returning=False`` sends batched INSERTs (no COPY). Never commits.
        """
        return await call(_bulk.create_many, self.sync_session, model, rows, returning=returning)

    async def upsert(self, model: type[M], /, *, match: str | Iterable[str], **values: Any) -> M:
        """Insert the row, or update the one holding the ``match`` key with the other values: one statement.

        Returns the object as stored, in the identity map. Flushes, never commits.
        """
        return await call(_upsert.upsert, self.sync_session, model, match=match, **values)

    async def upsert_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, match: str | Iterable[str]
    ) -> list[M]:
        """:meth:`upsert` every row, a statement per batch; the objects in the rows' order. Never commits."""
        return await call(_upsert.upsert_many, self.sync_session, model, rows, match=match)
