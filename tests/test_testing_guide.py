"""The worked example of docs/testing.md, run as a project of its own on each backend."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, make_url

from datalayer import Database
from datalayer.testing import create_scratch_database, drop_scratch_database
from tests.conftest import async_driver_url

PAGE = Path(__file__).resolve().parent.parent / "docs" / "testing.md"
# A file of the example: ```python title="myapp/models.py"``` (test_docs.py runs only bare ```python).
TITLED_BLOCK = re.compile(r'^```[\w-]+ title="([^"]+)"\n(.*?)^```$', re.MULTILINE | re.DOTALL)
TABLES = ("guide_orders", "guide_customers")  # the example's tables, children first
TESTS_IN_THE_EXAMPLE = 8  # four sync, four async
ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg", "mysql": "aiomysql"}
ADDED_TO = ("pytest.ini",)  # a later block of one of these adds lines to it (the async tests' options)

SERVERS = {"postgresql": "DATALAYER_TEST_POSTGRESQL_URL", "mariadb": "DATALAYER_TEST_MARIADB_URL"}
SERVER_PARAMS = [
    pytest.param(name, marks=pytest.mark.servers)
    for name, variable in SERVERS.items()
    if os.environ.get(variable)
]


def example_files() -> dict[str, str]:
    """The path and content of each titled block of the page."""
    files: dict[str, str] = {}
    for path, content in TITLED_BLOCK.findall(PAGE.read_text()):
        assert path not in files or path in ADDED_TO, f"{path} has two blocks"
        files[path] = files.get(path, "") + content
    return files


def drop_example_tables(url: str) -> None:
    db = Database(url)
    try:
        for name in TABLES:
            Table(name, MetaData()).drop(db.engine, checkfirst=True)
    finally:
        db.dispose()


@pytest.fixture(params=["sqlite", *SERVER_PARAMS])
def url(request: pytest.FixtureRequest, pytester: pytest.Pytester) -> Iterator[str]:
    """A SQLite file in the example's directory, then a database of this test's own on each server."""
    name: str = request.param
    if name == "sqlite":
        url = f"sqlite:///{pytester.path / 'myapp.db'}"
        yield url
        drop_example_tables(url)
        return
    base_url = os.environ[SERVERS[name]]
    url = create_scratch_database(base_url)  # concurrent runs of the suite never share the example's tables
    try:
        yield url
        drop_example_tables(url)
    finally:
        drop_scratch_database(url, base_url)


def test_the_page_has_the_whole_example() -> None:
    files = example_files()
    assert {"pytest.ini", "myapp/models.py", "myapp/async_shop.py", "tests/conftest.py"} <= files.keys()
    assert "datalayer_async_database = myapp.async_shop:adb" in files["pytest.ini"]
    assert all(f'"{name}"' in files["myapp/models.py"] for name in TABLES)


def test_the_example_passes(url: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    for path, content in example_files().items():
        target = pytester.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    monkeypatch.setenv("MYAPP_DATABASE_URL", url)  # the subprocess inherits it
    driver = ASYNC_DRIVERS[make_url(url).get_backend_name()]
    monkeypatch.setenv("MYAPP_ASYNC_DATABASE_URL", async_driver_url(url, driver))
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=TESTS_IN_THE_EXAMPLE)
