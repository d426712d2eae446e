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
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager, ExitStack, contextmanager

import pytest
from sqlalchemy import URL
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from .._urls import hide_credentials, shown
from ..database import Database
from ..errors import UsageError
from ..session import Session
from ._current import use_session
from .isolation import clean_tables, isolated
from .queries import QueryLog
from .queries import assert_queries as _assert_queries

__all__ = ["assert_queries", "committing_db", "datalayer_database", "datalayer_db", "db_session"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "datalayer_database", "module:attribute of the datalayer Database the tests use", default=""
    )
    parser.addini(
        "datalayer_create_all",
        "create the Database's tables (metadata.create_all) once per test run",
        type="bool",
        default=True,
    )


def _load(spec: str) -> Database:
    __tracebackhide__ = True  # its locals hold what was found, a URL with its password maybe
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise UsageError(f"datalayer_database = {spec!r}: expected module:attribute, e.g. myapp.db:db")
    found = getattr(importlib.import_module(module_name), attribute, None)
    if not isinstance(found, Database):
        raise UsageError(f"datalayer_database = {spec!r} is {_described(found)}, not a datalayer Database")
    return found


def _described(found: object) -> str:
    """What ``found`` is, for a message: never its value, which may be a URL with its password."""
    if found is None:
        return "None (or missing)"
    if isinstance(found, Engine):
        return f"an Engine on {shown(found.url)}: wrap its URL, Database(url)"
    if isinstance(found, URL):
        return f"the URL {shown(found)}: make it Database(url)"
    if isinstance(found, str):
        try:
            return f"the URL string {shown(found)}: make it Database(url)"
        except sa_exc.ArgumentError:
            return "a string (not shown)"
    return f"a {type(found).__module__}.{type(found).__qualname__} object"


@contextmanager
def _connecting(database: Database) -> Generator[None, None, None]:
    """Report a failure to connect to ``database`` as one line: the driver's message, no password.

    Left to propagate, the error's traceback would list the arguments of the
    driver's connect function, the password among them.
    """
    __tracebackhide__ = True
    try:
        yield
    except sa_exc.DBAPIError as exc:
        if exc.statement is not None:  # a statement failed: not a failure to connect
            raise
        lines = str(exc.orig).strip().splitlines()
        reason = hide_credentials(lines[0] if lines else "", database.url)
        message = f"cannot connect to {database!r}: {type(exc.orig).__name__}: {reason}"
        raise pytest.fail.Exception(message, pytrace=False) from None


@pytest.fixture(scope="session")
def datalayer_database(pytestconfig: pytest.Config) -> Database:
    """The Database under test, from the ``datalayer_database`` ini option; override to choose it in code."""
    spec = str(pytestconfig.getini("datalayer_database"))
    if not spec:
        raise UsageError(
            "no Database for the tests: set `datalayer_database = module:attribute` in the pytest "
            "configuration, or define a `datalayer_database` fixture in conftest.py"
        )
    database = _load(spec)
    if pytestconfig.getini("datalayer_create_all"):
        with _connecting(database):
            database.create_all()
    return database


@pytest.fixture
def datalayer_db(datalayer_database: Database) -> Generator[Database, None, None]:
    """The Database with every session of this test on one connection, rolled back at the end."""
    with ExitStack() as stack:
        with _connecting(datalayer_database):
            stack.enter_context(isolated(datalayer_database))
        yield datalayer_database


@pytest.fixture
def db_session(datalayer_db: Database) -> Generator[Session, None, None]:
    """The test's own session on the isolated connection; factories write to it."""
    with datalayer_db.Session() as session, use_session(session):
        yield session


@pytest.fixture(autouse=True)
def _datalayer_sessions_first(request: pytest.FixtureRequest) -> None:
    """Open the test's session before any other fixture when the test uses one.

    Fixtures that build objects with factories (pytest-factoryboy's, or your
    own) then write to it whatever order the test lists them in.
    """
    for name in ("db_session", "committing_db"):
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
        with _connecting(datalayer_database):
            clean_tables(datalayer_database)


@pytest.fixture
def assert_queries(datalayer_database: Database) -> Callable[[int], AbstractContextManager[QueryLog]]:
    """``with assert_queries(n): ...``: fail, listing the statements, unless the block runs ``n``."""
    return functools.partial(_assert_queries, datalayer_database)
