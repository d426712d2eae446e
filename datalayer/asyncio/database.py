"""AsyncDatabase: an AsyncEngine with its ``Model`` base and its AsyncSession factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import URL, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from .. import _urls
from .._database_setup import DatabaseSetup, session_factory_options
from .session import AsyncSession

__all__ = ["AsyncDatabase"]


class AsyncDatabase(DatabaseSetup[AsyncEngine]):
    """The asyncio twin of :class:`~datalayer.Database`, on an async driver.

    ``url`` is any async SQLAlchemy URL (``sqlite+aiosqlite``, ``postgresql+asyncpg``,
    ``postgresql+psycopg``, ``mysql+aiomysql``...); keyword arguments go to
    :func:`sqlalchemy.ext.asyncio.create_async_engine`, with the same safe defaults
    as :class:`~datalayer.Database`, which it also shares the URL's parts
    (``dialect=``, ``name=``, ``user=``...), ``engine_options=`` and
    ``session_options=`` with. Pass the ``model_class`` of a sync Database to
    serve the same models from both (scripts and migrations sync, the web app async).
    Its sessions keep their objects loaded after a commit (``expire_on_commit=False``,
    as SQLAlchemy advises for asyncio): a later attribute access needs no I/O.

    Example::

        adb = AsyncDatabase("sqlite+aiosqlite:///app.db")

        class User(adb.Model):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(primary_key=True)
            email: Mapped[str] = mapped_column(String(120), unique=True)

        await adb.create_all()
        async with adb.Session() as s:
            await s.create(User, email="foo@example.com")
            await s.commit()

    .. versionadded:: 0.1.0
    """

    Session: async_sessionmaker[AsyncSession]
    select = staticmethod(select)

    def _create_engine(self, url: URL, options: dict[str, Any]) -> AsyncEngine:
        return create_async_engine(url, **options)

    def _set_up_sessions(self, options: Mapping[str, Any] | None) -> None:
        # Objects stay loaded after a commit: refreshing them lazily would need I/O outside an await.
        session = {"expire_on_commit": False, **(options or {})}
        self.Session = async_sessionmaker(**session_factory_options(self.engine, AsyncSession, session))

    async def create_all(self) -> None:
        """Create every table of ``metadata`` that does not exist yet (commits its own DDL)."""
        async with self.engine.begin() as connection:
            await connection.run_sync(self.metadata.create_all)

    async def drop_all(self) -> None:
        """Drop every table of ``metadata`` that exists (commits its own DDL)."""
        async with self.engine.begin() as connection:
            await connection.run_sync(self.metadata.drop_all)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    def __repr__(self) -> str:
        return f"AsyncDatabase({_urls.shown(self.url)!r})"
