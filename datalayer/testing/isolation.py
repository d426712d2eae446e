"""Per-test transactional isolation, and its opt-out for tests that need real commits."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Connection

from ..database import Database

__all__ = ["clean_tables", "isolated"]

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
    saved: dict[str, Any] = {
        name: database.Session.kw[name] for name in _SESSION_OPTIONS if name in database.Session.kw
    }
    with ExitStack() as undo:  # undone last to first, each step even if an earlier one fails
        connection = database.engine.connect()
        undo.callback(connection.close)
        outer = connection.begin()
        undo.callback(_restore, database, saved)
        undo.callback(database.s.remove)
        # The outer rollback runs first: it ends every session's savepoint at once,
        # whatever order the sessions were opened and closed in.
        undo.callback(lambda: outer.rollback() if outer.is_active else None)
        database.Session.configure(bind=connection, join_transaction_mode="create_savepoint")
        yield connection


def _restore(database: Database, saved: dict[str, Any]) -> None:
    for name in _SESSION_OPTIONS:
        database.Session.kw.pop(name, None)
    database.Session.configure(**saved)


def clean_tables(database: Database) -> None:
    """Delete every row of every table of ``database.metadata``, children first, and commit."""
    database.s.remove()
    with database.engine.begin() as connection:
        for table in reversed(database.metadata.sorted_tables):
            connection.execute(delete(table))
