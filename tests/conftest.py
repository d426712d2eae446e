"""Real databases for the suite: SQLite always, PostgreSQL and MariaDB when their URLs are set."""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import make_url

from datalayer import Database
from datalayer.asyncio import AsyncDatabase
from datalayer.testing import clean_tables, create_scratch_database, drop_scratch_database
from tests._galera import Galera, clean, galera_cluster
from tests._outsider import Outsider
from tests.factories import Factories, define_factories
from tests.models import Models, define_models

# Every driver imported now, before any pytester test takes its snapshot of sys.modules: one first
# imported inside such a test is dropped when it ends and imported again later, and psycopg's compiled
# part keeps raising the first import's exception classes, which SQLAlchemy then no longer recognises
# (and so no longer translates).
for _driver in ("psycopg", "pymysql", "asyncpg", "aiomysql", "aiosqlite", "psycopg2"):
    with contextlib.suppress(ImportError):
        importlib.import_module(_driver)

pytest_plugins = ["pytester"]

SERVER_URL_VARIABLES = {
    "postgresql": "DATALAYER_TEST_POSTGRESQL_URL",
    "mariadb": "DATALAYER_TEST_MARIADB_URL",
}
_SERVER_NAMES = [name for name, variable in SERVER_URL_VARIABLES.items() if os.environ.get(variable)]
# Where create_or_first has a native one-round-trip path, the suite also runs with the
# SAVEPOINT path forced ("<backend>/savepoint"): both must keep every promise.
_NATIVE = ("sqlite", "postgresql", "mariadb")
SERVERS = [*_SERVER_NAMES, *(f"{name}/savepoint" for name in _SERVER_NAMES if name in _NATIVE)]
BACKENDS = ["sqlite", "sqlite/savepoint", *SERVERS]
# The async drivers of each backend, as "<backend>+<driver>": psycopg runs in its asyncio mode.
_ASYNC_DRIVERS = {"sqlite": ("aiosqlite",), "postgresql": ("asyncpg", "psycopg"), "mariadb": ("aiomysql",)}
ASYNC_BACKENDS = [
    f"{name}+{driver}" for name in ["sqlite", *_SERVER_NAMES] for driver in _ASYNC_DRIVERS[name]
]
ASYNC_SERVERS = [variant for variant in ASYNC_BACKENDS if not variant.startswith("sqlite")]
# aiosqlite is the one async driver with a native create_or_first path: ``aenv`` runs it forced off too.
_AENV_VARIANTS = [*ASYNC_BACKENDS, "sqlite+aiosqlite/savepoint"]


_run_databases: dict[str, str] = {}


def backend_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database of this run's own: a temporary SQLite file, or a fresh database on the server."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    if backend not in _run_databases:
        _run_databases[backend] = create_scratch_database(os.environ[SERVER_URL_VARIABLES[backend]])
    return _run_databases[backend]


@dataclass
class Env:
    """A Database with the test models on it."""

    backend: str
    url: str
    db: Database
    models: Models
    engine_options: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def factories(self) -> Factories:
        """factory-boy factories of the models."""
        return define_factories(self.models)


def _open_env(variant: str, tmp_path_factory: pytest.TempPathFactory) -> Env:
    backend, _, strategy = variant.partition("/")
    options: dict[str, Any] = {}
    if strategy == "savepoint":
        options["execution_options"] = {"datalayer_native_inserts": False}  # as the docs tell users
    url = backend_url(backend, tmp_path_factory)
    db = Database(url, **options)
    models = define_models(db)
    db.drop_all()
    db.create_all()
    return Env(backend, url, db, models, options)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "only(*backends): run the test on these backends alone")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the backend parametrizations that a test's ``only`` marker leaves out."""
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("only")
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        variant = str(next((params[name] for name in _ENV_FIXTURES if name in params), ""))
        backend = variant.partition("/")[0].partition("+")[0]
        (drop if marker and backend not in marker.args else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


_ENV_FIXTURES = ("env", "server_env", "aenv", "server_aenv")


@pytest.fixture(scope="session")
def _env_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Env]]:
    cache: dict[str, Env] = {}
    yield cache
    for env in cache.values():
        env.db.dispose()
    for backend, url in _run_databases.items():
        drop_scratch_database(url, os.environ[SERVER_URL_VARIABLES[backend]])


def _cached_env(backend: str, cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory) -> Env:
    if backend not in cache:
        cache[backend] = _open_env(backend, tmp_path_factory)
    return cache[backend]


def _env_for_test(
    request: pytest.FixtureRequest, cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    env = _cached_env(request.param, cache, tmp_path_factory)
    yield env
    clean_tables(env.db)


@pytest.fixture(params=BACKENDS)
def env(
    request: pytest.FixtureRequest, _env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    """The test models on each backend in turn; every row is deleted after the test."""
    yield from _env_for_test(request, _env_cache, tmp_path_factory)


@pytest.fixture(params=SERVERS)
def server_env(
    request: pytest.FixtureRequest, _env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    """Like ``env``, on the server databases only (PostgreSQL, MariaDB) whose URLs are set."""
    yield from _env_for_test(request, _env_cache, tmp_path_factory)


@pytest.fixture
def datalayer_database(env: Env) -> Database:
    """The plugin's fixtures (datalayer_db, db_session, assert_queries...) on each backend in turn."""
    return env.db


EnvFactory = Callable[..., Env]


def _env_factory(base: Env) -> Iterator[EnvFactory]:
    opened: list[Env] = []

    def make(**engine_options: Any) -> Env:
        options = {**base.engine_options, **engine_options}  # keeps the base's create_or_first path
        db = Database(base.url, **options)
        made = Env(base.backend, base.url, db, define_models(db), options)
        opened.append(made)
        return made

    yield make
    for made in opened:
        made.db.dispose()


@pytest.fixture
def make_env(env: Env) -> Iterator[EnvFactory]:
    """Another Database on ``env``'s backend and tables, with engine options of the test's choosing."""
    yield from _env_factory(env)


@pytest.fixture
def make_server_env(server_env: Env) -> Iterator[EnvFactory]:
    """``make_env`` for ``server_env``."""
    yield from _env_factory(server_env)


@pytest.fixture
def outsider(server_env: Env) -> Iterator[Outsider]:
    """A connection of its own to ``server_env``'s database, outside the pool under test."""
    made = Outsider(server_env)
    yield made
    made.close()


@dataclass
class AsyncEnv:
    """An AsyncDatabase on an async driver, sharing the test models (and tables) of the sync ``env``."""

    backend: str
    driver: str
    adb: AsyncDatabase
    models: Models
    sync: Env


def async_driver_url(url: str, driver: str) -> str:
    """``url`` with the async ``driver`` of its backend (``asyncpg``, ``aiosqlite``...)."""
    parsed = make_url(url)
    return parsed.set(drivername=f"{parsed.get_backend_name()}+{driver}").render_as_string(
        hide_password=False
    )


async def _aenv_for_test(
    request: pytest.FixtureRequest, cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEnv]:
    variant, _, strategy = str(request.param).partition("/")
    backend, _, driver = variant.partition("+")
    env = _cached_env(f"{backend}/{strategy}" if strategy else backend, cache, tmp_path_factory)
    adb = AsyncDatabase(async_driver_url(env.url, driver), model_class=env.db.Model, **env.engine_options)
    try:
        yield AsyncEnv(backend, driver, adb, env.models, env)
    finally:
        await adb.dispose()
        clean_tables(env.db)


@pytest.fixture(params=_AENV_VARIANTS)
async def aenv(
    request: pytest.FixtureRequest, _env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEnv]:
    """The test models on each async driver (aiosqlite, asyncpg, psycopg, aiomysql); rows deleted after."""
    async for made in _aenv_for_test(request, _env_cache, tmp_path_factory):
        yield made


@pytest.fixture(params=ASYNC_SERVERS)
async def server_aenv(
    request: pytest.FixtureRequest, _env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEnv]:
    """Like ``aenv``, on the server databases' async drivers only."""
    async for made in _aenv_for_test(request, _env_cache, tmp_path_factory):
        yield made


@pytest.fixture
def datalayer_async_database(aenv: AsyncEnv) -> AsyncDatabase:
    """The plugin's async fixtures (datalayer_async_db, async_db_session...) on each async driver in turn."""
    return aenv.adb


@pytest.fixture(params=_SERVER_NAMES)
def server_base(
    request: pytest.FixtureRequest, _env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    """Each server's Env on its default create_or_first path alone (no savepoint variant)."""
    yield from _env_for_test(request, _env_cache, tmp_path_factory)


@pytest.fixture(scope="module")
def galera_nodes() -> Iterator[Galera]:
    """The Galera cluster ``scripts/cluster.sh up`` starts, with a scratch database of the module's own."""
    yield from galera_cluster()


@pytest.fixture
def galera(galera_nodes: Galera) -> Iterator[Galera]:
    """:func:`galera_nodes`, its tables emptied after each test."""
    yield galera_nodes
    clean(galera_nodes)
