"""Per-test transactional isolation, and its opt-out for tests that need real commits."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete
from sqlalchemy.engine import Connection

from ..database import Database

if TYPE_CHECKING:  # datalayer.asyncio needs greenlet, which the sync tools do without
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncTransaction, async_sessionmaker
    from sqlalchemy.orm import sessionmaker

    from ..asyncio import AsyncDatabase

__all__ = ["async_clean_tables", "async_isolated", "clean_tables", "isolated"]

_SESSION_OPTIONS = ("bind", "join_transaction_mode")


@contextmanager
def isolated(database: Database) -> Generator[Connection, None, None]:
    """Run the block on one connection whose outer transaction is rolled back at the end.

    ``database.Session``, ``database.s`` and every ``UnitOfWork`` of the database
    are bound to that connection for the block, each session joining it through
    a SAVEPOINT (``join_transaction_mode="create_savepoint"``): code that commits
    releases its savepoint, code that rolls back returns to it, and either way
    every session sees the writes made before it. Nothing outlives the block.

    Example::

        with isolated(db):
            with AppUnitOfWork() as uow:       # commits: releases a savepoint
                uow.users.create(email="a@example.com")
            assert db.s.first(User) is not None
        # rolled back: the table is as it was
    """
    database.s.remove()
    saved = _saved(database.Session)
    with ExitStack() as undo:  # undone last to first, each step even if an earlier one fails
        connection = database.engine.connect()
        undo.callback(connection.close)
        outer = connection.begin()
        undo.callback(_restore, database.Session, saved)
        undo.callback(database.s.remove)
        # The outer rollback runs first: it ends every session's savepoint at once,
        # whatever order the sessions were opened and closed in.
        undo.callback(lambda: outer.rollback() if outer.is_active else None)
        database.Session.configure(bind=connection, join_transaction_mode="create_savepoint")
        yield connection


@asynccontextmanager
async def async_isolated(database: AsyncDatabase) -> AsyncGenerator[AsyncConnection, None]:
    """:func:`isolated` for an AsyncDatabase: the block's sessions on one connection, rolled back at the end.

    ``database.Session`` and so every ``AsyncUnitOfWork`` of the database are
    bound to that connection for the block, each session joining its outer
    transaction through a SAVEPOINT: ``await uow.commit()`` and a clean exit
    release it, ``await session.rollback()`` returns to it. Tasks that use the
    database at once share the connection: run them one after the other.

    Example::

        async with async_isolated(adb):
            async with AppUnitOfWork() as uow:  # commits: releases a savepoint
                await uow.users.create(email="a@example.com")
        # rolled back: the table is as it was
    """
    saved = _saved(database.Session)
    async with AsyncExitStack() as undo:  # undone last to first, each step even if an earlier one fails
        connection = await database.engine.connect()
        undo.push_async_callback(connection.close)
        outer = await connection.begin()
        undo.callback(_restore, database.Session, saved)
        undo.push_async_callback(_rolled_back, outer)  # first: ends every session's savepoint at once
        database.Session.configure(bind=connection, join_transaction_mode="create_savepoint")
        yield connection


async def _rolled_back(transaction: AsyncTransaction) -> None:
    if transaction.is_active:
        await transaction.rollback()


def _saved(maker: sessionmaker[Any] | async_sessionmaker[Any]) -> dict[str, Any]:
    return {name: maker.kw[name] for name in _SESSION_OPTIONS if name in maker.kw}


def _restore(maker: sessionmaker[Any] | async_sessionmaker[Any], saved: dict[str, Any]) -> None:
    for name in _SESSION_OPTIONS:
        maker.kw.pop(name, None)
    maker.configure(**saved)


def clean_tables(database: Database) -> None:
    """Delete every row of every table of ``database.metadata``, children first, and commit."""
    database.s.remove()
    with database.engine.begin() as connection:
        for table in reversed(database.metadata.sorted_tables):
            connection.execute(delete(table))


async def async_clean_tables(database: AsyncDatabase) -> None:
    """:func:`clean_tables` for an AsyncDatabase: every row of ``database.metadata`` deleted, committed."""
    async with database.engine.begin() as connection:
        for table in reversed(database.metadata.sorted_tables):
            await connection.execute(delete(table))
