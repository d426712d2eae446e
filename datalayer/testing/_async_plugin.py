"""The plugin's async fixtures: an AsyncDatabase's tests, isolated as the sync ones are.

:mod:`datalayer.testing.plugin` registers them when pytest-asyncio is active;
they run in the event loop of pytest-asyncio's fixtures. Each fixture that
connects closes its pool's connections when the test ends: an async driver's
connection belongs to the event loop that opened it, and each test has a loop
of its own. (A ``StaticPool``, in-memory SQLite's, is kept: its database lives
in its one connection, and aiosqlite serves any loop.)
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import AsyncGenerator, Callable
from contextlib import AbstractContextManager, AsyncExitStack
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
from sqlalchemy.pool import StaticPool

from ..errors import UsageError
from . import _schema
from ._current import use_session
from ._loading import connecting, load
from .isolation import async_clean_tables, async_isolated
from .queries import QueryLog
from .queries import assert_queries as _assert_queries

if TYPE_CHECKING:
    from ..asyncio import AsyncDatabase, AsyncSession

__all__ = [
    "async_assert_queries",
    "async_committing_db",
    "async_db_session",
    "datalayer_async_database",
    "datalayer_async_db",
]

_CREATED = pytest.StashKey["weakref.WeakSet[AsyncDatabase]"]()


@pytest.fixture(scope="session")
def datalayer_async_database(pytestconfig: pytest.Config) -> AsyncDatabase:
    """The AsyncDatabase under test, from the ``datalayer_async_database`` ini option; override to choose."""
    spec = str(pytestconfig.getini("datalayer_async_database"))
    if not spec:
        raise UsageError(
            "no AsyncDatabase for the tests: set `datalayer_async_database = module:attribute` in the "
            "pytest configuration, or define a `datalayer_async_database` fixture in conftest.py"
        )
    from ..asyncio import AsyncDatabase  # needs greenlet: imported only when asked for

    return load("datalayer_async_database", spec, AsyncDatabase)


async def _prepared(database: AsyncDatabase, config: pytest.Config) -> None:
    """Build the database's schema once per run: ``create_all()``, or the migrations (``datalayer_schema``).

    The migrations run through the backend's sync driver (``_schema.sync_twin``).
    """
    created = config.stash.setdefault(_CREATED, weakref.WeakSet())
    if database not in created:
        schema = _schema.choice(config)
        if schema == _schema.CREATE_ALL:
            with connecting(database):
                await database.create_all()
        elif schema == _schema.MIGRATIONS:
            twin = _schema.sync_twin(database)
            try:
                _schema.migrated(twin, config)
            finally:
                twin.dispose()
    created.add(database)


async def _released(database: AsyncDatabase) -> None:
    """Close the pool's connections, in the loop that opened them (see the module's docstring)."""
    if not isinstance(database.engine.pool, StaticPool):
        await database.engine.dispose()


async def _emptied(database: AsyncDatabase) -> None:
    with connecting(database):
        await async_clean_tables(database)


@pytest_asyncio.fixture
async def datalayer_async_db(
    datalayer_async_database: AsyncDatabase, pytestconfig: pytest.Config
) -> AsyncGenerator[AsyncDatabase, None]:
    """The AsyncDatabase with every session of this test on one connection, rolled back at the end."""
    database = datalayer_async_database
    async with AsyncExitStack() as stack:
        stack.push_async_callback(_released, database)
        await _prepared(database, pytestconfig)
        with connecting(database):
            await stack.enter_async_context(async_isolated(database))
        yield database


@pytest_asyncio.fixture
async def async_db_session(datalayer_async_db: AsyncDatabase) -> AsyncGenerator[AsyncSession, None]:
    """The test's own AsyncSession on the isolated connection; awaited factories write to it."""
    async with datalayer_async_db.Session() as session:
        with use_session(session):
            yield session


@pytest_asyncio.fixture
async def async_committing_db(
    datalayer_async_database: AsyncDatabase, request: pytest.FixtureRequest, pytestconfig: pytest.Config
) -> AsyncGenerator[AsyncDatabase, None]:
    """The AsyncDatabase with real commits, for tests across connections; every table is emptied after."""
    if "datalayer_async_db" in request.fixturenames:
        raise UsageError(
            "async_committing_db cannot be combined with datalayer_async_db or async_db_session in one test"
        )
    database = datalayer_async_database
    async with AsyncExitStack() as stack:
        stack.push_async_callback(_released, database)
        stack.push_async_callback(_emptied, database)
        await _prepared(database, pytestconfig)
        session = await stack.enter_async_context(database.Session())
        stack.enter_context(use_session(session, commit=True))
        yield database


@pytest.fixture
def async_assert_queries(
    datalayer_async_database: AsyncDatabase,
) -> Callable[[int], AbstractContextManager[QueryLog]]:
    """``with async_assert_queries(n): await ...``: fail, listing the statements, unless the block runs n."""
    return functools.partial(_assert_queries, datalayer_async_database)
