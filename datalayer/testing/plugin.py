"""The pytest plugin, registered on install through the ``pytest11`` entry point.

Tell it your Database with an ini option, ``datalayer_database = myapp.db:db``, or
by overriding the ``datalayer_database`` fixture in your ``conftest.py``. Then:

- ``datalayer_db``: the Database, isolated for one test: ``db.Session()``,
  ``db.s`` and every ``UnitOfWork`` run on one connection whose transaction is
  rolled back after the test; commits release savepoints.
- ``db_session``: the test's own session on that connection; factories write to it.
- ``committing_db``: the opt-out, real commits (for tests across connections);
  every table is emptied afterwards.
- ``assert_queries``: ``with assert_queries(2): ...`` fails, listing the
  statements, unless the block runs exactly two.

With pytest-asyncio active, the same for an AsyncDatabase (``datalayer_async_database``
ini option or fixture): ``datalayer_async_db``, ``async_db_session``,
``async_committing_db`` and ``async_assert_queries`` (see ``_async_plugin``).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager, ExitStack

import pytest

from ..database import Database
from ..errors import UsageError
from ..session import Session
from . import _async_plugin_missing, _schema
from ._current import use_session
from ._loading import connecting, load
from .isolation import clean_tables, isolated
from .queries import QueryLog
from .queries import assert_queries as _assert_queries

__all__ = ["assert_queries", "committing_db", "datalayer_database", "datalayer_db", "db_session"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "datalayer_database", "module:attribute of the datalayer Database the tests use", default=""
    )
    parser.addini(
        "datalayer_async_database",
        "module:attribute of the datalayer AsyncDatabase the async tests use",
        default="",
    )
    _schema.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Add the async fixtures when pytest-asyncio runs the tests; stand-ins that say so otherwise."""
    asyncio_plugin = sys.modules.get("pytest_asyncio.plugin")
    if asyncio_plugin is not None and config.pluginmanager.is_registered(asyncio_plugin):
        from . import _async_plugin  # imports pytest_asyncio

        config.pluginmanager.register(_async_plugin, "datalayer-asyncio")
    else:
        config.pluginmanager.register(_async_plugin_missing, "datalayer-asyncio")


@pytest.fixture(scope="session")
def datalayer_database(pytestconfig: pytest.Config) -> Database:
    """The Database under test, from the ``datalayer_database`` ini option; override to choose it in code.

    Its tables are made once per run: ``create_all()``, or with ``datalayer_schema = migrations``
    an upgrade to the head revision of the ``datalayer_migrations`` directory.
    """
    spec = str(pytestconfig.getini("datalayer_database"))
    if not spec:
        raise UsageError(
            "no Database for the tests: set `datalayer_database = module:attribute` in the pytest "
            "configuration, or define a `datalayer_database` fixture in conftest.py"
        )
    database = load("datalayer_database", spec, Database)
    schema = _schema.choice(pytestconfig)
    if schema == _schema.CREATE_ALL:
        with connecting(database):
            database.create_all()
    elif schema == _schema.MIGRATIONS:
        _schema.migrated(database, pytestconfig)
    return database


@pytest.fixture
def datalayer_db(datalayer_database: Database) -> Generator[Database, None, None]:
    """The Database with every session of this test on one connection, rolled back at the end."""
    with ExitStack() as stack:
        with connecting(datalayer_database):
            stack.enter_context(isolated(datalayer_database))
        yield datalayer_database


@pytest.fixture
def db_session(datalayer_db: Database) -> Generator[Session, None, None]:
    """The test's own session on the isolated connection; factories write to it."""
    with datalayer_db.Session() as session, use_session(session):
        yield session


_SESSION_FIXTURES = ("db_session", "committing_db", "async_db_session", "async_committing_db")


@pytest.fixture(autouse=True)
def _datalayer_sessions_first(request: pytest.FixtureRequest) -> None:
    """Open the test's session before any other fixture when the test uses one.

    Fixtures that build objects with factories (pytest-factoryboy's, or your
    own) then write to it whatever order the test lists them in.
    """
    for name in _SESSION_FIXTURES:
        if name in request.fixturenames:
            request.getfixturevalue(name)


@pytest.fixture
def committing_db(
    datalayer_database: Database, request: pytest.FixtureRequest
) -> Generator[Database, None, None]:
    """The Database with real commits, for tests across connections; every table is emptied after."""
    if "datalayer_db" in request.fixturenames:
        raise UsageError("committing_db cannot be combined with datalayer_db or db_session in one test")
    try:
        # Objects stay loaded after their commit: reading one opens no transaction, which
        # on SQLite would hold a read lock that every other connection's COMMIT waits on.
        with datalayer_database.Session(expire_on_commit=False) as session, use_session(session, commit=True):
            yield datalayer_database
    finally:
        with connecting(datalayer_database):
            clean_tables(datalayer_database)


@pytest.fixture
def assert_queries(datalayer_database: Database) -> Callable[[int], AbstractContextManager[QueryLog]]:
    """``with assert_queries(n): ...``: fail, listing the statements, unless the block runs ``n``."""
    return functools.partial(_assert_queries, datalayer_database)
