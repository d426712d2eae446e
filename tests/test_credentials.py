"""A password in a database URL never shows: not in repr or str, log records, error messages or the demo.

One distinctive password, with characters that URLs must quote, is looked for
in its raw and its URL-quoted form everywhere datalayer puts text: the
Database and its URL, errors raised by units of work when the server cannot be
reached, every record the "datalayer" and "sqlalchemy" loggers emit at DEBUG
(messages and tracebacks), and what ``datalayer demo --url`` prints. On the
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
from tests.conftest import Env
from tests.models import define_models
from tests.test_faults import Outsider, backend_pid, closed_port

PASSWORD = "Cr3d:Zq9x@w/k%#?-leak-canary"
FORMS = {PASSWORD, quote(PASSWORD, safe=""), quote_plus(PASSWORD), PASSWORD.replace("%", "%25")}
LOGGERS = ("datalayer", "sqlalchemy")
# What a unit raises when it cannot connect: SQLAlchemy's error today, ConnectionLostError once translated.
UNREACHABLE = (sa_exc.OperationalError, ConnectionLostError)


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
def test_the_database_and_its_url_never_show_the_password(driver: str) -> None:
    url = URL.create(driver, username="scott", password=PASSWORD, host="db.invalid", database="app")
    db = Database(url)
    shown = [
        repr(db),
        str(db),
        f"{db}",
        repr(db.url),
        str(db.url),
        f"{db.url}",
        repr(db.engine),
        str(db.engine),
    ]
    shown += [repr(db.engine.url), str(db.engine.url), db.url.render_as_string()]
    assert_no_password("\n".join(shown), "the Database's repr and str")
    assert "***" in repr(db)
    assert db.url.password == PASSWORD  # kept, only never shown
    db.dispose()


def test_a_url_refused_by_its_dialect_is_reported_without_the_password() -> None:
    with pytest.raises(sa_exc.ArgumentError, match="Invalid SQLite URL") as raised:
        Database(URL.create("sqlite", username="scott", password=PASSWORD, host="db.invalid", database="app"))
    assert_no_password(everything_about(raised.value), "the dialect's error")


@pytest.mark.parametrize("where", ["closed port", "unknown host"])
@pytest.mark.parametrize("driver", ["postgresql+psycopg", "mysql+pymysql"], ids=["postgresql", "mariadb"])
def test_errors_from_an_unreachable_server_never_show_the_password(
    driver: str, where: str, debug_logs: pytest.LogCaptureFixture
) -> None:
    host, port = ("127.0.0.1", closed_port()) if where == "closed port" else ("db.invalid", None)
    db = Database(
        URL.create(driver, username="scott", password=PASSWORD, host=host, port=port, database="app")
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


def test_a_refused_login_never_shows_the_password(
    server_env: Env, debug_logs: pytest.LogCaptureFixture
) -> None:
    # MariaDB refuses a password for root@127.0.0.1, which has none; PostgreSQL knows no such role.
    user = "root" if server_env.backend == "mariadb" else "dl_no_such_role"
    db = Database(make_url(server_env.url).set(username=user, password=PASSWORD))
    try:
        with pytest.raises(UNREACHABLE) as raised, UnitOfWork(db) as uow:
            uow.session.execute(text("SELECT 1"))
    finally:
        db.dispose()
    about = everything_about(raised.value)
    assert re.search("Access denied|does not exist", about), about  # the driver's error, chained
    assert_no_password(everything_about(raised.value), "a refused login's error")


@pytest.fixture
def outsider(server_env: Env) -> Iterator[Outsider]:
    made = Outsider(server_env)
    yield made
    made.close()


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


def test_work_on_a_server_with_a_password_never_shows_it(
    server_env: Env, password_url: str, outsider: Outsider, debug_logs: pytest.LogCaptureFixture
) -> None:
    db = Database(password_url)  # created under DEBUG logging: SQLAlchemy logs every statement
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
        assert_no_password("\n".join([repr(db), str(db), repr(db.engine), repr(db.engine.pool)]), "repr")
    finally:
        db.dispose()
    assert outsider.emails() == {"a@x.org", "retried@x.org"}
    assert any(record.name.startswith("sqlalchemy.engine") for record in debug_logs.records)


def test_the_demo_never_prints_the_password(
    server_env: Env,
    password_url: str,
    capsys: pytest.CaptureFixture[str],
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    assert main(["demo", "--url", password_url]) == 0
    printed = capsys.readouterr()
    assert_no_password(printed.out + printed.err, "the demo's output")
    assert printed.out.splitlines()[-1] == "done"

    unreachable = make_url(password_url).set(host="127.0.0.1", port=closed_port())
    assert main(["demo", "--url", unreachable.render_as_string(hide_password=False)]) == 1
    printed = capsys.readouterr()
    assert "the demo failed on" in printed.err
    assert_no_password(printed.out + printed.err, "the demo's error")


def test_the_demo_command_never_prints_the_password_it_cannot_use() -> None:
    url = URL.create(
        "postgresql+psycopg", username="scott", password=PASSWORD, host="127.0.0.1", port=closed_port()
    )
    result = subprocess.run(
        [sys.executable, "-m", "datalayer", "demo", "--url", url.render_as_string(hide_password=False)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert_no_password(result.stdout + result.stderr, "the demo command's output")


def test_the_canary_would_be_found_if_it_leaked() -> None:
    url = URL.create("postgresql+psycopg", username="scott", password=PASSWORD, host="db.invalid")
    with pytest.raises(AssertionError, match="the password"):
        assert_no_password(url.render_as_string(hide_password=False), "a URL rendered with its password")
    with pytest.raises(AssertionError, match="the password"):
        assert_no_password(f"connect failed for {PASSWORD}", "a message")
