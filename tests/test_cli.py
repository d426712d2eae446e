"""The ``datalayer demo`` command, run for real on SQLite and on each server whose URL is set."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import uuid
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import sqlalchemy as sa

from datalayer import _demo, cli
from datalayer.cli import main

SERVERS = {"postgresql": "DATALAYER_TEST_POSTGRESQL_URL", "mariadb": "DATALAYER_TEST_MARIADB_URL"}
DEMO_TABLES = ("demo_customers", "demo_orders")


SERVER_PARAMS = [
    pytest.param(name, marks=pytest.mark.servers)
    for name, variable in SERVERS.items()
    if os.environ.get(variable)
]


@pytest.fixture(params=["sqlite", *SERVER_PARAMS])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL: a SQLite file, then each server whose URL is set."""
    name: str = request.param
    if name == "sqlite":
        return f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    return os.environ[SERVERS[name]]


@pytest.fixture(params=SERVER_PARAMS)
def server(request: pytest.FixtureRequest) -> str:
    """The URL of each server whose URL is set."""
    return os.environ[SERVERS[request.param]]


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
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
    table = sa.Table(neighbour, sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            table.create(connection)
            connection.execute(table.insert().values(id=7))
        out = run_demo(url, capsys)
        assert "created tables demo_customers, demo_orders" in out
        assert "dropped tables demo_orders, demo_customers" in out
        assert "engine disposed" in out
        assert not table_names(url) & set(DEMO_TABLES)
        with engine.connect() as connection:
            assert connection.execute(sa.select(table.c.id)).scalars().all() == [7]
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


def test_demo_refuses_to_touch_demo_tables_that_already_exist(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    table = sa.Table("demo_customers", sa.MetaData(), sa.Column("name", sa.String(20)))
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            table.create(connection)
            connection.execute(table.insert().values(name="someone's data"))
        assert main(["demo", "--url", url]) == 1
        captured = capsys.readouterr()
        assert "already has demo_customers: drop them or use another database" in captured.err
        assert "created tables" not in captured.out
        with engine.connect() as connection:
            assert connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 1
        assert "demo_orders" not in table_names(url)
    finally:
        table.drop(engine, checkfirst=True)
        engine.dispose()


@pytest.mark.parametrize(
    ("bad_url", "status", "message"),
    [
        ("not a url", 2, "argument --url: not a SQLAlchemy URL"),
        ("postgresql://alice:s3cret@localhost:port/shop", 2, "argument --url: not a SQLAlchemy URL"),
        (
            "nosuch://alice:s3cret@localhost/shop",
            2,
            "cannot load the dialect or driver of nosuch://alice:***@",
        ),
        ("postgresql+nosuchdriver://alice:s3cret@localhost/shop", 2, "cannot load the dialect or driver"),
        (
            "postgresql+psycopg://alice:s3cret@127.0.0.1:1/shop",
            1,
            "the demo failed on postgresql+psycopg://alice:***@127.0.0.1:1/shop: OperationalError: ",
        ),
        ("mysql+pymysql://alice:s3cret@127.0.0.1:1/shop", 1, "Can't connect to MySQL server on '127.0.0.1'"),
    ],
    ids=[
        "unparsable",
        "port not a number",
        "unknown dialect",
        "unknown driver",
        "no postgresql",
        "no mariadb",
    ],
)
def test_a_bad_url_gives_a_clear_error_and_a_non_zero_exit_code(
    bad_url: str, status: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--url", bad_url]) == status
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.count("\n") <= 2, captured.err
    assert "s3cret" not in captured.out + captured.err


def test_a_password_in_a_server_url_is_never_printed(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    with_password = sa.make_url(server).set(password="s3cret-demo-pw")
    main(["demo", "--url", with_password.render_as_string(hide_password=False)])
    captured = capsys.readouterr()
    assert "s3cret-demo-pw" not in captured.out + captured.err
    assert f"datalayer demo on {with_password.render_as_string(hide_password=True)}" in captured.out
    assert not table_names(server) & set(DEMO_TABLES)


def test_a_bad_url_gives_no_traceback_from_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "datalayer", "demo", "--url", "nosuch://localhost/shop"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("datalayer demo: error: cannot load the dialect or driver of nosuch://")


def test_python_dash_m_datalayer_runs_the_demo() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "datalayer", "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "done"


def test_the_console_script_is_installed_and_runs() -> None:
    (entry_point,) = entry_points(group="console_scripts", name="datalayer")
    assert entry_point.value == "datalayer.cli:main"
    assert entry_point.load() is cli.main
    script = Path(sysconfig.get_path("scripts")) / "datalayer"
    assert script.exists(), f"{script} is not installed: pip install -e ."
    result = subprocess.run([str(script), "demo"], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "dropped tables demo_orders, demo_customers" in result.stdout


def test_help_lists_the_demo_command_and_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out
    assert main([]) == 2
    assert "required" in capsys.readouterr().err


def test_version_names_the_installed_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"datalayer-sqla {version('datalayer-sqla')}"


@pytest.mark.parametrize(
    ("module", "url", "command"),
    [
        ("psycopg", "postgresql+psycopg://localhost/shop", 'pip install "datalayer-sqla[postgresql]"'),
        ("pymysql", "mysql+pymysql://localhost/shop", 'pip install "datalayer-sqla[mariadb]"'),
    ],
)
def test_a_missing_driver_is_named_with_the_extra_that_installs_it(
    module: str, url: str, command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # importing it now fails as if it were not installed
    assert main(["demo", "--url", url]) == 2
    err = capsys.readouterr().err
    assert f"No module named '{module}'" in err or f"import of {module} halted" in err, err
    assert err.rstrip().endswith(f"(install it with: {command})"), err


def test_a_missing_driver_without_an_extra_gets_no_install_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "MySQLdb", None)
    assert main(["demo", "--url", "mysql+mysqldb://localhost/shop"]) == 2
    err = capsys.readouterr().err
    assert "MySQLdb" in err
    assert "install it with" not in err
