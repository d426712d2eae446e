"""The ``datalayer demo`` command, run for real on SQLite and on each server whose URL is set."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import uuid
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    inspect,
    make_url,
    select,
)

from datalayer import _demo, cli
from datalayer.cli import main

SERVERS = {"postgresql": "DATALAYER_TEST_POSTGRESQL_URL", "mariadb": "DATALAYER_TEST_MARIADB_URL"}
DEMO_TABLES = ("demo_customers", "demo_orders")


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.servers),
        pytest.param("mariadb", marks=pytest.mark.servers),
    ]
)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL: a SQLite file, or a server's URL from its environment variable."""
    name: str = request.param
    if name == "sqlite":
        return f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    value = os.environ.get(SERVERS[name])
    if not value:
        pytest.skip(f"{SERVERS[name]} is not set")
    return value


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def line(output: str, prefix: str) -> str:
    """The one output line that starts with ``prefix`` once indented."""
    found = [text.strip() for text in output.splitlines() if text.strip().startswith(prefix)]
    assert len(found) == 1, f"expected one line starting with {prefix!r} in:\n{output}"
    return found[0]


def run_demo(url: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["demo", "--url", url]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def test_demo_runs_on_a_temporary_sqlite_file_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    captured = capsys.readouterr()
    match = re.search(r"^SQLite file (\S+) \(in a fresh temporary directory", captured.out, re.MULTILINE)
    assert match, captured.out
    path = Path(match.group(1))
    assert f"datalayer demo on sqlite:///{path}" in captured.out
    assert captured.out.splitlines()[-1] == "done"
    assert not path.parent.exists()


def test_demo_commits_the_first_unit_of_work(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_demo(url, capsys)
    assert re.fullmatch(
        r"place_order\(uow, 'ada@example.com', 'tea'\) -> order #\d+ 'tea' for ada@example.com",
        line(out, "place_order(uow, 'ada@example.com'"),
    )
    assert line(out, "committed:") == "committed: a new unit of work reads it back"


def test_demo_rolls_back_the_failed_unit_of_work(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_demo(url, capsys)
    assert line(out, "raised") == "raised PaymentDeclined('payment declined'): rolled back"
    assert line(out, "afterwards:") == "afterwards: bob@example.com and the 'coffee' order are absent"


def test_demo_create_or_first_returns_the_existing_row_and_keeps_earlier_work(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_demo(url, capsys)
    ada = line(out, "first(Customer, email='ada@example.com')").partition(" -> ")[2]
    assert re.fullmatch(r"customer #\d+ ada@example.com", ada)
    existing = line(out, "create_or_first(Customer, email='ada@example.com')")
    assert existing.endswith(f" -> {ada} (existing row)")
    scone = line(out, "create(Order, customer=cy, item='scone')").partition(" -> ")[2]
    scone = scone.removesuffix(" (flushed)")
    assert line(out, scone) == f"{scone} is kept: the conflict undid only its own insert"


def test_demo_shows_every_helper_on_db_session_and_on_db_s(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_demo(url, capsys)
    for helper in ("create(", "first(", "first_or_create(", "create_or_first(", "all("):
        assert any(text.strip().startswith(helper) for text in out.splitlines()), helper
    assert "3. the helpers on db.Session()" in out
    assert line(out, "first_or_create(Customer, email='dee@example.com')").endswith("(created)")
    assert line(out, "all(Customer)") == "all(Customer) -> ada@example.com, cy@example.com, dee@example.com"
    assert line(out, "db.s.all(Order)") == "db.s.all(Order) -> 'tea', 'scone', 'jam'"
    assert "db.s.remove(): the thread's session is closed" in out


def test_demo_drops_its_tables_and_leaves_other_tables_alone(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    neighbour = f"cli_neighbour_{uuid.uuid4().hex[:8]}"
    table = Table(neighbour, MetaData(), Column("id", Integer, primary_key=True))
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            table.create(connection)
            connection.execute(table.insert().values(id=7))
        out = run_demo(url, capsys)
        assert "created tables demo_customers, demo_orders" in out
        assert "dropped tables demo_orders, demo_customers" in out
        assert "engine disposed" in out
        names = table_names(url)
        assert not names & set(DEMO_TABLES)
        with engine.connect() as connection:
            assert connection.execute(select(table.c.id)).scalars().all() == [7]
    finally:
        table.drop(engine, checkfirst=True)
        engine.dispose()


def test_demo_drops_its_tables_even_when_a_step_fails(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_step(db: object, out: object) -> None:
        raise _demo.DemoCheckError("unexpected: the fourth step broke")

    monkeypatch.setattr(_demo, "_scoped_session", failing_step)
    assert main(["demo", "--url", url]) == 1
    captured = capsys.readouterr()
    assert "the demo failed on" in captured.err
    assert "DemoCheckError: unexpected: the fourth step broke" in captured.err
    assert "dropped tables demo_orders, demo_customers" in captured.out
    assert not table_names(url) & set(DEMO_TABLES)
