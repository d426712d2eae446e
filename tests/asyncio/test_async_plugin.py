"""The plugin's async fixtures in a project of their own, run by pytest-asyncio as a user runs them.

Each project's ini has ``filterwarnings = error``: an unclosed connection, a loop
mismatch or a leaked transaction fails its run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import URL, text

from tests._outsider import closed_port
from tests.conftest import ASYNC_BACKENDS, Env, _cached_env, async_driver_url

APP = """
import os

import factory
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from datalayer.asyncio import AsyncDatabase
from datalayer.testing import ModelFactory

adb = AsyncDatabase(os.environ["APP_ASYNC_URL"])


class Note(adb.Model):
    __tablename__ = "px_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(100), unique=True)


class NoteFactory(ModelFactory):
    class Meta:
        model = Note

    text = factory.Sequence(lambda n: f"note {n}")
"""

INI = """[pytest]
datalayer_async_database = app:adb
asyncio_mode = {mode}
asyncio_default_fixture_loop_scope = {loop}
asyncio_default_test_loop_scope = {loop}
filterwarnings =
    error
    ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning
pythonpath = .
"""

# Run in file order (-p no:randomly): each test checks that the ones before it left nothing.
TESTS = """
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from app import Note, NoteFactory, adb
from datalayer.asyncio import AsyncUnitOfWork


@pytest_asyncio.fixture
async def note():  # requests no session: the plugin opens the test's first
    return await NoteFactory.create_async(text="from a fixture")


@pytest.mark.asyncio  # strict mode needs it
async def test_app_code_commits(note, async_db_session):
    async with AsyncUnitOfWork(adb) as uow:
        await uow.repository(Note).create(text="committed by a unit")
        await uow.commit()
    async with adb.Session() as session:
        await session.create(Note, text="committed by a session")
        await session.commit()
    assert len(await async_db_session.all(Note)) == 3


@pytest.mark.asyncio  # strict mode needs it
async def test_app_code_rolls_back(async_db_session):
    assert await async_db_session.all(Note) == []
    await NoteFactory.create_batch_async(2)
    async with adb.Session() as session:
        await session.create(Note, text="rolled back")
        await session.rollback()
    with pytest.raises(RuntimeError):
        async with AsyncUnitOfWork(adb) as uow:
            await uow.repository(Note).create(text="undone")
            raise RuntimeError
    assert len(await async_db_session.all(Note)) == 2


@pytest.mark.asyncio  # strict mode needs it
async def test_the_query_counter(async_db_session, async_assert_queries):
    with async_assert_queries(1):
        async with AsyncUnitOfWork(adb) as uow:
            await uow.repository(Note).create(text="counted")


@pytest.mark.asyncio  # strict mode needs it
async def test_real_commits(async_committing_db):
    await NoteFactory.create_async(text="committed by a factory")
    async with AsyncUnitOfWork(async_committing_db) as uow:
        await uow.repository(Note).create(text="committed for real")
    async with adb.engine.connect() as connection:  # a connection of its own
        assert await connection.scalar(select(func.count()).select_from(Note)) == 2


@pytest.mark.asyncio  # strict mode needs it
async def test_nothing_was_left(datalayer_async_db):
    async with datalayer_async_db.Session() as session:
        assert await session.all(Note) == []


def test_no_connection_is_checked_out():
    assert adb.engine.pool.checkedout() == 0
"""


def _app_url(
    request: pytest.FixtureRequest, cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    backend, _, driver = str(request.param).partition("+")
    env = _cached_env(backend, cache, tmp_path_factory)
    yield async_driver_url(env.url, driver)
    with env.db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS px_notes"))


@pytest.fixture(params=ASYNC_BACKENDS)
def app_url(
    request: pytest.FixtureRequest, _env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Each async driver in turn, on the run's database of its backend; the app's table dropped after."""
    yield from _app_url(request, _env_cache, tmp_path_factory)


# aiosqlite serves any event loop; asyncpg's connections belong to the loop that opened them.
LOOP_DRIVERS = [variant for variant in ASYNC_BACKENDS if variant.endswith(("aiosqlite", "asyncpg"))]


@pytest.fixture(params=LOOP_DRIVERS)
def loop_app_url(
    request: pytest.FixtureRequest, _env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``app_url`` for a driver that serves any loop and one that does not."""
    yield from _app_url(request, _env_cache, tmp_path_factory)


def make_project(pytester: pytest.Pytester, *, mode: str = "auto", loop: str = "function") -> None:
    pytester.makepyfile(app=APP, test_notes=TESTS)
    pytester.makeini(INI.format(mode=mode, loop=loop))


def run(pytester: pytest.Pytester, url: str, monkeypatch: pytest.MonkeyPatch) -> pytest.RunResult:
    monkeypatch.setenv("APP_ASYNC_URL", url)  # the subprocess inherits it
    return pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")


def assert_clean(result: pytest.RunResult) -> None:
    result.assert_outcomes(passed=6)
    output = result.stdout.str() + result.stderr.str()
    assert "Exception ignored" not in output and "ResourceWarning" not in output, output


def test_isolated_async_tests_on_each_driver(
    pytester: pytest.Pytester, app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    assert_clean(run(pytester, app_url, monkeypatch))


@pytest.mark.parametrize(("mode", "loop"), [("strict", "function"), ("auto", "session")])
def test_strict_mode_and_one_loop_for_the_whole_run(
    pytester: pytest.Pytester,
    loop_app_url: str,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    loop: str,
) -> None:
    make_project(pytester, mode=mode, loop=loop)
    assert_clean(run(pytester, loop_app_url, monkeypatch))


def test_a_missing_async_database_configuration_says_how_to_give_one(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        INI.format(mode="auto", loop="function").replace("datalayer_async_database = app:adb\n", "")
    )
    pytester.makepyfile("async def test_needs_db(async_db_session):\n    pass\n")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*set `datalayer_async_database = module:attribute`*"])


def test_a_sync_database_named_for_the_async_fixtures_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        app="from datalayer import Database\nadb = Database('sqlite://')\n",
        test_app="async def test_needs_db(datalayer_async_db):\n    pass\n",
    )
    pytester.makeini(INI.format(mode="auto", loop="function"))
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*datalayer_async_database = 'app:adb' is a datalayer.database.Database*"])


def test_async_committing_db_refuses_to_be_combined_with_isolation(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "import pytest\n"
        "from datalayer.asyncio import AsyncDatabase\n"
        "@pytest.fixture(scope='session')\n"
        "def datalayer_async_database():\n"
        "    return AsyncDatabase('sqlite+aiosqlite://')\n"
    )
    pytester.makeini(
        INI.format(mode="auto", loop="function").replace("datalayer_async_database = app:adb\n", "")
    )
    pytester.makepyfile("async def test_both(datalayer_async_db, async_committing_db):\n    pass\n")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*async_committing_db cannot be combined with datalayer_async_db*"])


def test_without_pytest_asyncio_the_sync_plugin_works_and_the_async_fixtures_say_what_is_missing(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        "import pytest\n"
        "from datalayer import Database\n"
        "@pytest.fixture(scope='session')\n"
        "def datalayer_database():\n"
        "    return Database('sqlite://')\n"
    )
    pytester.makepyfile(
        "def test_sync(db_session):\n    assert db_session.get_bind() is not None\n\n"
        "def test_async(async_db_session):\n    pass\n"
    )
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:asyncio")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*the datalayer async fixtures run on pytest-asyncio: pip install pytest-asyncio*"]
    )


PASSWORD = "Cr3d:Zq9x@w/k%#?-leak-canary"


@pytest.mark.parametrize("driver", ["postgresql+asyncpg", "postgresql+psycopg", "mysql+aiomysql"])
def test_the_async_fixtures_never_show_the_password_of_a_database_they_cannot_reach(
    pytester: pytest.Pytester, driver: str
) -> None:
    url = URL.create(driver, username="scott", password=PASSWORD, host="127.0.0.1", port=closed_port())
    database = f"AsyncDatabase({url.render_as_string(hide_password=False)!r})"
    pytester.makepyfile(
        app=f"from datalayer.asyncio import AsyncDatabase\nadb = {database}\n",
        test_app="async def test_needs_db(async_db_session):\n    pass\n",
    )
    pytester.makeini(INI.format(mode="auto", loop="function"))
    # In a process of its own: an in-process run would re-import the driver, which SQLAlchemy's
    # dialect, cached with the first import's exception classes, would then not recognise.
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", "--showlocals")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"cannot connect to AsyncDatabase('{driver}://scott:***@127.0.0.1:*'): *"])
    output = result.stdout.str() + result.stderr.str()
    assert PASSWORD not in output and "leak-canary" not in output
