"""A password in a database URL never shows: not in repr or str, log records, error messages or the demo.

One distinctive password, with characters that URLs must quote, is looked for
in its raw and its URL-quoted form everywhere datalayer puts text: the
Database and its URL, errors raised by units of work when the server cannot be
reached, every record the "datalayer" and "sqlalchemy" loggers emit at DEBUG
(messages and tracebacks), what ``datalayer demo --url`` prints, and what the
pytest plugin reports. The password is given after the user name and, as
drivers also accept, as a query parameter (``?password=``, ``?passwd=``...). On the
servers the password is a real one (MariaDB: a user made for the test;
PostgreSQL trusts local connections, so any password passes).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import traceback
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import NullPool

from datalayer import Database, UnitOfWork, run
from datalayer.cli import main
from datalayer.errors import ConflictError, ConnectionLostError
from tests._outsider import Outsider, backend_pid, closed_port
from tests.conftest import Env
from tests.models import define_models

PASSWORD = "Cr3d:Zq9x@w/k%#?-leak-canary"
FORMS = {PASSWORD, quote(PASSWORD, safe=""), quote_plus(PASSWORD), PASSWORD.replace("%", "%25")}
LOGGERS = ("datalayer", "sqlalchemy")
# What a unit raises when it cannot connect: SQLAlchemy's error today, ConnectionLostError once translated.
UNREACHABLE = (sa_exc.OperationalError, ConnectionLostError)


# Where a URL can carry the password: after the user name, or as a query parameter of the driver.
FORMS_OF_URL = ["after the user name", "as a query parameter"]


def with_password(url: str | URL, form: str) -> str:
    """``url`` rendered in full, with PASSWORD where ``form`` says."""
    parsed = make_url(url).set(password=None)
    if form == "after the user name":
        parsed = parsed.set(password=PASSWORD)
    else:
        parsed = parsed.update_query_dict({"password": PASSWORD})
    return parsed.render_as_string(hide_password=False)


def assert_no_password(text: str, where: str) -> None:
    for form in FORMS:
        assert form not in text, f"the password ({form!r}) shows in {where}: {text[:2000]}"


def everything_about(error: BaseException) -> str:
    """str and repr of the error and of every error in its chain, and the formatted traceback."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), *map(repr, current.args)]
        current = current.__cause__ or current.__context__
    parts.append("".join(traceback.format_exception(error)))
    return "\n".join(parts)


def logged(caplog: pytest.LogCaptureFixture) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of datalayer's and SQLAlchemy's loggers, from DEBUG up, for the whole test."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    assert_no_password(logged(caplog), "the log records")


@pytest.mark.parametrize("driver", ["postgresql+psycopg", "mysql+pymysql"], ids=["postgresql", "mariadb"])
def test_the_database_never_shows_the_password_and_its_url_only_as_the_text_to_hand_on(driver: str) -> None:
    url = URL.create(driver, username="scott", password=PASSWORD, host="db.invalid", database="app")
    db = Database(url)
    shown = [repr(db), str(db), f"{db}", repr(db.url), repr([db.url]), repr(db.engine), str(db.engine)]
    shown += [repr(db.engine.url), str(db.engine.url), db.url.render_as_string()]
    assert_no_password("\n".join(shown), "the Database's repr and str")
    assert "***" in repr(db) and "***" in repr(db.url)
    assert db.url.password == PASSWORD  # kept, only never shown
    # As sqla-wrapper's, the URL as a string is the whole URL: the text to give another tool.
    assert make_url(str(db.url)).password == PASSWORD
    db.dispose()


# Query parameters that carry a password: psycopg/libpq's password and sslpassword, PyMySQL's
# password, passwd (its old name, also mysqlclient's) and ssl_key_password, ODBC's pwd.
QUERY_PASSWORDS = ["password", "passwd", "pwd", "sslpassword", "ssl_key_password", "PASSWORD"]


@pytest.mark.parametrize("parameter", QUERY_PASSWORDS)
@pytest.mark.parametrize("driver", ["postgresql+psycopg", "mysql+pymysql"], ids=["postgresql", "mariadb"])
def test_a_password_given_as_a_query_parameter_never_shows_in_the_database(
    driver: str, parameter: str
) -> None:
    query = {"connect_timeout": "5", parameter: PASSWORD}
    db = Database(URL.create(driver, username="scott", host="db.invalid", database="app", query=query))
    try:
        shown = "\n".join([repr(db), str(db), f"{db}"])
        assert_no_password(shown, "the Database's repr and str")
        assert f"{parameter}=***" in repr(db)
        assert "connect_timeout=5" in repr(db) and "scott@db.invalid/app" in repr(db)  # the rest stays
        assert db.url.query[parameter] == PASSWORD  # kept, only never shown
    finally:
        db.dispose()


def test_a_url_refused_by_its_dialect_is_reported_without_the_password() -> None:
    with pytest.raises(sa_exc.ArgumentError, match="Invalid SQLite URL") as raised:
        Database(URL.create("sqlite", username="scott", password=PASSWORD, host="db.invalid", database="app"))
    assert_no_password(everything_about(raised.value), "the dialect's error")


@pytest.mark.parametrize("form", FORMS_OF_URL)
@pytest.mark.parametrize("where", ["closed port", "unknown host"])
@pytest.mark.parametrize("driver", ["postgresql+psycopg", "mysql+pymysql"], ids=["postgresql", "mariadb"])
def test_errors_from_an_unreachable_server_never_show_the_password(
    driver: str, where: str, form: str, debug_logs: pytest.LogCaptureFixture
) -> None:
    host, port = ("127.0.0.1", closed_port()) if where == "closed port" else ("db.invalid", None)
    db = Database(
        with_password(URL.create(driver, username="scott", host=host, port=port, database="app"), form)
    )
    models = define_models(db)
    try:
        with pytest.raises(UNREACHABLE) as in_unit, UnitOfWork(db) as uow:
            uow.session.create(models.User, email="a@x.org")
        with pytest.raises(UNREACHABLE) as in_run:
            run(lambda: UnitOfWork(db), lambda uow: uow.session.first(models.User), attempts=3, backoff=0)
    finally:
        db.dispose()
    for raised in (in_unit, in_run):
        assert_no_password(everything_about(raised.value), f"the error of a unit ({where})")


@pytest.mark.parametrize("form", FORMS_OF_URL)
def test_a_refused_login_never_shows_the_password(
    server_env: Env, form: str, debug_logs: pytest.LogCaptureFixture
) -> None:
    # MariaDB refuses a password for root@127.0.0.1, which has none; PostgreSQL knows no such role.
    user = "root" if server_env.backend == "mariadb" else "dl_no_such_role"
    db = Database(with_password(make_url(server_env.url).set(username=user), form))
    try:
        with pytest.raises(UNREACHABLE) as raised, UnitOfWork(db) as uow:
            uow.session.execute(text("SELECT 1"))
    finally:
        db.dispose()
    about = everything_about(raised.value)
    assert re.search("Access denied|does not exist", about), about  # the driver's error, chained
    assert_no_password(everything_about(raised.value), "a refused login's error")


@pytest.fixture
def password_url(server_env: Env) -> Iterator[str]:
    """The run's database URL with a user whose password is PASSWORD (and works)."""
    url = make_url(server_env.url)
    if server_env.backend == "postgresql":  # local connections are trusted: the password goes unchecked
        yield url.set(password=PASSWORD).render_as_string(hide_password=False)
        return
    user = f"dl_cred_{os.getpid()}"
    admin = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    # User and database names cannot be bound parameters; both are made here, from digits and hex.
    with admin.connect() as connection:
        connection.execute(text(f"DROP USER IF EXISTS '{user}'@'127.0.0.1'"))
        connection.execute(
            text(f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY :password"), {"password": PASSWORD}
        )
        connection.execute(text(f"GRANT ALL ON `{url.database}`.* TO '{user}'@'127.0.0.1'"))
    try:
        yield url.set(username=user, password=PASSWORD).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP USER IF EXISTS '{user}'@'127.0.0.1'"))
        admin.dispose()


@pytest.mark.parametrize("form", FORMS_OF_URL)
def test_work_on_a_server_with_a_password_never_shows_it(
    server_env: Env, password_url: str, form: str, outsider: Outsider, debug_logs: pytest.LogCaptureFixture
) -> None:
    # Created under DEBUG logging: SQLAlchemy logs every statement.
    db = Database(with_password(password_url, form))
    models = define_models(db)
    try:
        with UnitOfWork(db) as uow:
            uow.session.create(models.User, email="a@x.org")
        with pytest.raises(ConflictError) as conflict, UnitOfWork(db) as uow:
            uow.session.create(models.User, email="a@x.org")
        assert_no_password(everything_about(conflict.value), "a conflict's error")

        killed: list[int] = []

        def killed_once(uow: UnitOfWork) -> None:
            if not killed:
                killed.append(backend_pid(server_env, uow))
                outsider.kill(killed[0])
            uow.session.create(models.User, email="retried@x.org")

        run(lambda: UnitOfWork(db), killed_once, backoff=0)
        assert "retrying a unit of work after ConnectionLostError" in debug_logs.text
        assert_no_password("\n".join([repr(db), str(db), repr(db.engine.pool)]), "repr")
        if form == "after the user name":  # SQLAlchemy's repr hides the password there only
            assert_no_password(repr(db.engine), "the engine's repr")
    finally:
        db.dispose()
    assert outsider.emails() == {"a@x.org", "retried@x.org"}
    assert any(record.name.startswith("sqlalchemy.engine") for record in debug_logs.records)


@pytest.mark.parametrize("form", FORMS_OF_URL)
def test_the_demo_never_prints_the_password(
    server_env: Env,
    password_url: str,
    form: str,
    capsys: pytest.CaptureFixture[str],
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    password_url = with_password(password_url, form)
    assert main(["demo", "--url", password_url]) == 0
    printed = capsys.readouterr()
    assert_no_password(printed.out + printed.err, "the demo's output")
    assert printed.out.splitlines()[-1] == "done"

    unreachable = make_url(password_url).set(host="127.0.0.1", port=closed_port())
    assert main(["demo", "--url", unreachable.render_as_string(hide_password=False)]) == 1
    printed = capsys.readouterr()
    assert "the demo failed on" in printed.err
    assert_no_password(printed.out + printed.err, "the demo's error")


@pytest.mark.parametrize("form", FORMS_OF_URL)
def test_the_demo_command_never_prints_the_password_it_cannot_use(form: str) -> None:
    url = URL.create("postgresql+psycopg", username="scott", host="127.0.0.1", port=closed_port())
    result = subprocess.run(
        [sys.executable, "-m", "datalayer", "demo", "--url", with_password(url, form)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "the demo failed on postgresql+psycopg://scott" in result.stderr
    assert_no_password(result.stdout + result.stderr, "the demo command's output")


def test_the_canary_would_be_found_if_it_leaked() -> None:
    url = URL.create("postgresql+psycopg", username="scott", password=PASSWORD, host="db.invalid")
    with pytest.raises(AssertionError, match="the password"):
        assert_no_password(url.render_as_string(hide_password=False), "a URL rendered with its password")
    with pytest.raises(AssertionError, match="the password"):
        assert_no_password(f"connect failed for {PASSWORD}", "a message")


# What a project's ``datalayer_database = appdb:DATABASE`` may name by mistake, each holding the password.
_CANARY_URL = f"URL.create('postgresql+psycopg', username='scott', password={PASSWORD!r}, host='db.invalid')"
_QUERY_URL = f"URL.create('postgresql+psycopg', host='db.invalid', query={{'password': {PASSWORD!r}}})"
_IN_FULL = ".render_as_string(hide_password=False)"
NOT_A_DATABASE = {
    "a URL string": f"DATABASE = {_CANARY_URL}{_IN_FULL}",
    "a URL string with a password parameter": f"DATABASE = {_QUERY_URL}{_IN_FULL}",
    "a URL": f"DATABASE = {_QUERY_URL}",
    "an Engine": f"DATABASE = create_engine({_QUERY_URL})",
    "a settings dict": f"DATABASE = {{'url': {_CANARY_URL}{_IN_FULL}}}",
    "a libpq connection string": f"DATABASE = 'host=db.invalid user=scott password={PASSWORD}'",
}


@pytest.mark.parametrize("traceback_style", ["default", "--showlocals"])
@pytest.mark.parametrize("named", NOT_A_DATABASE)
def test_the_plugin_names_a_wrong_datalayer_database_without_its_password(
    pytester: pytest.Pytester, named: str, traceback_style: str
) -> None:
    pytester.makepyfile(
        appdb=f"from sqlalchemy import URL, create_engine\n{NOT_A_DATABASE[named]}\n",
        test_app="def test_needs_db(datalayer_db):\n    pass\n",
    )
    pytester.syspathinsert()
    pytester.makeini("[pytest]\ndatalayer_database = appdb:DATABASE\n")
    options = ["-p", "no:randomly", "-p", "no:asyncio"] + (
        [traceback_style] if traceback_style != "default" else []
    )
    result = pytester.runpytest(*options)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*datalayer_database = 'appdb:DATABASE' is *, not a datalayer Database*"])
    assert_no_password(result.stdout.str() + result.stderr.str(), f"the plugin's error about {named}")


@pytest.mark.parametrize("form", FORMS_OF_URL)
def test_the_plugin_never_shows_the_password_of_a_database_it_cannot_reach(
    pytester: pytest.Pytester, form: str
) -> None:
    url = with_password(
        URL.create(
            "postgresql+psycopg", username="scott", host="127.0.0.1", port=closed_port(), database="app"
        ),
        form,
    )
    pytester.makepyfile(
        appdb=f"from datalayer import Database\ndb = Database({url!r})\n",
        test_app="def test_needs_db(datalayer_db):\n    pass\n",
    )
    pytester.syspathinsert()
    pytester.makeini("[pytest]\ndatalayer_database = appdb:db\n")
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:asyncio")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["cannot connect to Database('postgresql+psycopg://scott*@127.0.0.1:*/app*'): OperationalError: *"]
    )
    assert_no_password(
        result.stdout.str() + result.stderr.str(), "the plugin's error on an unreachable server"
    )
