"""Faults injected against the real servers, and what a unit of work makes of them.

A connection killed from another session in the middle of a unit, a pooled
connection killed while idle, a server that refuses connections, and (opt-in,
``-m restart``) a server stopped and started again under a running application.
Each test checks what the application sees (datalayer's errors, the driver's
error chained), what the database holds afterwards (read over a connection of
its own, outside the pool under test), and that the same process goes on
working without a restart.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import make_url

from datalayer import Database, UnitOfWork, run
from datalayer.errors import CommitUnknownError, ConnectionLostError, RetryableError
from tests._outsider import Outsider, backend_pid, closed_port
from tests.conftest import Env, EnvFactory
from tests.models import define_models

_MARIADB_PID_FILE = "/run/mysqld/mysqld.pid"  # the local server's (my.cnf)


def variant(request: pytest.FixtureRequest, fixture: str = "server_env") -> str:
    """The parametrization id of ``fixture`` ("postgresql", "postgresql/savepoint", ...)."""
    callspec = getattr(request.node, "callspec", None)
    return str(callspec.params.get(fixture, "")) if callspec is not None else ""


def add_user(env: Env, email: str) -> None:
    with UnitOfWork(env.db) as uow:
        uow.session.create(env.models.User, email=email)


def assert_lost_connection(error: BaseException, env: Env) -> None:
    """A ConnectionLostError that says what happened, with the driver's error chained under SQLAlchemy's."""
    assert isinstance(error, ConnectionLostError), repr(error)
    assert isinstance(error, RetryableError)
    assert "nothing was saved" in str(error) and "retry" in str(error)
    cause = error.__cause__
    assert isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated, repr(cause)
    assert isinstance(cause.orig, env.db.engine.dialect.loaded_dbapi.Error), repr(cause.orig)


@pytest.mark.parametrize("touch", ["next statement", "flush on exit"])
def test_a_connection_killed_mid_unit_fails_it_with_connection_lost_and_saves_none_of_it(
    server_env: Env, outsider: Outsider, touch: str
) -> None:
    User = server_env.models.User
    add_user(server_env, "before@x.org")
    with pytest.raises(ConnectionLostError) as raised, UnitOfWork(server_env.db) as uow:
        uow.session.create(User, email="flushed@x.org")  # sent: in the transaction the kill ends
        killed = backend_pid(server_env, uow)
        outsider.kill(killed)
        if touch == "next statement":
            uow.session.create(User, email="after-the-kill@x.org")
        else:
            uow.session.add(User(email="pending@x.org"))  # flushed by the unit on its way out
    assert_lost_connection(raised.value, server_env)
    assert outsider.emails() == {"before@x.org"}  # nothing of the unit, all of the work before it

    with UnitOfWork(server_env.db) as uow:  # the same Database goes on working, on a new connection
        assert backend_pid(server_env, uow) != killed
        uow.session.create(User, email="next@x.org")
    assert outsider.emails() == {"before@x.org", "next@x.org"}
    assert server_env.db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_connection_killed_with_only_the_commit_left_is_an_unknown_outcome_never_retried(
    server_env: Env, outsider: Outsider
) -> None:
    # The unit cannot tell a COMMIT that never arrived from one whose reply was
    # lost, so it says "unknown" (not retryable) rather than "nothing saved".
    # Here the kill came first, so the database does not have the work.
    calls: list[int] = []

    def kill_then_leave(uow: UnitOfWork) -> None:
        calls.append(1)
        uow.session.create(server_env.models.User, email="unknown@x.org")
        outsider.kill(backend_pid(server_env, uow))

    with pytest.raises(CommitUnknownError, match="may or may not be in") as raised:
        run(lambda: UnitOfWork(server_env.db), kill_then_leave, attempts=5, backoff=0)
    assert not isinstance(raised.value, RetryableError)
    assert calls == [1]  # run() does not retry work that may already be in
    assert isinstance(raised.value.__cause__, sa_exc.DBAPIError)
    assert raised.value.__cause__.connection_invalidated
    assert outsider.emails() == set()
    add_user(server_env, "next@x.org")
    assert outsider.emails() == {"next@x.org"}


def test_run_retries_a_unit_whose_connection_was_killed_and_commits_the_work_once(
    server_env: Env, outsider: Outsider
) -> None:
    pids: list[int] = []
    retries: list[tuple[int, str]] = []

    def work(uow: UnitOfWork) -> str:
        attempt = len(pids) + 1
        pids.append(backend_pid(server_env, uow))
        uow.session.create(server_env.models.User, email=f"attempt-{attempt}@x.org")
        if attempt == 1:
            outsider.kill(pids[-1])
        uow.session.create(server_env.models.User, email=f"second-write-{attempt}@x.org")
        return f"done in attempt {attempt}"

    result = run(
        lambda: UnitOfWork(server_env.db),
        work,
        backoff=0,
        on_retry=lambda attempt, error, _delay: retries.append((attempt, type(error).__name__)),
    )
    assert result == "done in attempt 2"
    assert retries == [(1, "ConnectionLostError")]
    assert pids[0] != pids[1]
    assert outsider.emails() == {"attempt-2@x.org", "second-write-2@x.org"}
    assert server_env.db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_pooled_connection_killed_while_idle_fails_at_most_one_unit_and_run_absorbs_it(
    server_env: Env, outsider: Outsider
) -> None:
    db = server_env.db
    db.engine.dispose()  # one pooled connection: the one about to be killed
    with UnitOfWork(db) as uow:
        idle = backend_pid(server_env, uow)
    outsider.kill(idle)  # while it waits in the pool
    try:
        add_user(server_env, "first-after@x.org")
    except ConnectionLostError as error:  # the pool only finds out by using it (no pre-ping)
        assert_lost_connection(error, server_env)
        assert outsider.emails() == set()
    add_user(server_env, "second-after@x.org")  # the disconnect invalidated the stale connection
    assert "second-after@x.org" in outsider.emails()

    with UnitOfWork(db) as uow:
        idle = backend_pid(server_env, uow)
    outsider.kill(idle)
    retries: list[str] = []
    run(
        lambda: UnitOfWork(db),
        lambda uow: uow.session.create(server_env.models.User, email="through-run@x.org"),
        backoff=0,
        on_retry=lambda _attempt, error, _delay: retries.append(type(error).__name__),
    )
    assert retries in ([], ["ConnectionLostError"])
    assert "through-run@x.org" in outsider.emails()


def test_with_pool_pre_ping_a_pooled_connection_killed_while_idle_fails_no_unit(
    server_env: Env, make_server_env: EnvFactory, outsider: Outsider
) -> None:
    pinging = make_server_env(pool_pre_ping=True)
    with UnitOfWork(pinging.db) as uow:
        idle = backend_pid(server_env, uow)
    outsider.kill(idle)
    with UnitOfWork(pinging.db) as uow:
        assert backend_pid(server_env, uow) != idle
        uow.session.create(pinging.models.User, email="pinged@x.org")
    assert outsider.emails() == {"pinged@x.org"}


def test_a_server_that_refuses_connections_fails_the_unit_with_connection_lost(server_env: Env) -> None:
    refusing = make_url(server_env.url).set(host="127.0.0.1", port=closed_port())
    db = Database(refusing)
    models = define_models(db)
    try:
        with pytest.raises(ConnectionLostError) as raised, UnitOfWork(db) as uow:
            uow.session.create(models.User, email="never@x.org")
        assert isinstance(raised.value.__cause__, sa_exc.OperationalError)
        retries: list[str] = []
        with pytest.raises(ConnectionLostError):
            run(
                lambda: UnitOfWork(db),
                lambda uow: uow.session.create(models.User, email="never@x.org"),
                attempts=3,
                backoff=0,
                on_retry=lambda _attempt, error, _delay: retries.append(type(error).__name__),
            )
        assert retries == ["ConnectionLostError"] * 2
    finally:
        db.dispose()


def assert_not_retried_as_lost(db: Database, errno: int | None) -> sa_exc.OperationalError:
    """The unit fails with the driver's own error, at once: a retry cannot fix a configuration."""
    models = define_models(db)
    calls: list[int] = []

    def work(uow: UnitOfWork) -> None:
        calls.append(1)
        uow.session.create(models.User, email="never@x.org")

    try:
        with pytest.raises(sa_exc.OperationalError) as raised:
            run(lambda: UnitOfWork(db), work, attempts=3, backoff=0)
    finally:
        db.dispose()
    assert calls == [1]
    if errno is not None:
        assert raised.value.orig is not None and raised.value.orig.args[0] == errno
    return raised.value


@pytest.mark.only("mariadb")
@pytest.mark.parametrize("mistake", ["wrong password", "unknown database"])
def test_a_mariadb_login_or_database_mistake_is_not_disguised_as_a_lost_connection(
    server_env: Env, mistake: str
) -> None:
    url = make_url(server_env.url)
    wrong = (
        url.set(password="not-the-password") if mistake == "wrong password" else url.set(database="dl_none")
    )
    assert_not_retried_as_lost(Database(wrong), {"wrong password": 1045, "unknown database": 1049}[mistake])


def test_a_sqlite_file_that_cannot_be_opened_is_not_disguised_as_a_lost_connection(tmp_path: Path) -> None:
    assert_not_retried_as_lost(Database(f"sqlite:///{tmp_path / 'missing-directory' / 'app.db'}"), None)


@pytest.mark.only("postgresql")
@pytest.mark.parametrize("mistake", ["unknown role", "unknown database"])
def test_a_postgresql_login_or_database_mistake_is_not_disguised_as_a_lost_connection(
    server_env: Env, mistake: str
) -> None:
    # libpq reports no SQLSTATE for a failure to connect: the server's answer, in its message, tells it.
    url = make_url(server_env.url)
    wrong = url.set(username="dl_no_such_role") if mistake == "unknown role" else url.set(database="dl_none")
    error = assert_not_retried_as_lost(Database(wrong), None)
    expected = 'role "dl_no_such_role" does not exist' if mistake == "unknown role" else '"dl_none" does not'
    assert expected in str(error) and getattr(error.orig, "sqlstate", "") is None


class StartingUpServer:
    """A local socket that answers every PostgreSQL connection as a server still starting up does.

    It speaks the protocol's first steps (declining SSL and GSS encryption, reading
    the startup packet) and answers FATAL 57P03, "the database system is starting up".
    """

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.answered = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            with client:
                self._answer(client)

    def _answer(self, client: socket.socket) -> None:
        while True:
            header = client.recv(8, socket.MSG_WAITALL)
            if len(header) < 8:
                return
            length, code = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")
            if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest: "no"
                client.sendall(b"N")
                continue
            client.recv(length - 8, socket.MSG_WAITALL)  # the rest of the startup packet
            fields = b"".join(
                kind + value.encode() + b"\0"
                for kind, value in [
                    (b"S", "FATAL"),
                    (b"V", "FATAL"),
                    (b"C", "57P03"),
                    (b"M", "the database system is starting up"),
                ]
            )
            body = fields + b"\0"
            client.sendall(b"E" + (len(body) + 4).to_bytes(4, "big") + body)
            self.answered += 1
            return

    def close(self) -> None:
        self.listener.close()
        self._thread.join(timeout=10)


def test_a_postgresql_server_starting_up_fails_the_unit_with_connection_lost_and_is_retried() -> None:
    server = StartingUpServer()
    db = Database(f"postgresql+psycopg://scott@127.0.0.1:{server.port}/app?sslmode=disable")
    models = define_models(db)
    retries: list[str] = []
    try:
        with pytest.raises(ConnectionLostError) as raised:
            run(
                lambda: UnitOfWork(db),
                lambda uow: uow.session.create(models.User, email="never@x.org"),
                attempts=3,
                backoff=0,
                on_retry=lambda _attempt, error, _delay: retries.append(type(error).__name__),
            )
    finally:
        db.dispose()
        server.close()
    assert retries == ["ConnectionLostError"] * 2
    assert server.answered == 3
    assert "the database system is starting up" in str(raised.value.__cause__)


# --- The server restarted under a running application (opt-in: -m restart) -------------------------

RESTART_VARIABLE = "DATALAYER_TEST_RESTART_SERVERS"
DOWN_SECONDS = 1.5

APPLICATION = r'''
"""An application: units of work in a loop, one JSON line per outcome, until told to stop."""
import json, sys, time
from pathlib import Path

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from datalayer import Database, UnitOfWork, run
from datalayer.errors import DatalayerError

url, stop, prefix, seconds = sys.argv[1], Path(sys.argv[2]), sys.argv[3], float(sys.argv[4])
db = Database(url)


class User(db.Model):
    __tablename__ = "t_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)


def driver_code(error):
    while error is not None:
        orig = getattr(error, "orig", None)
        if orig is not None:
            code = getattr(orig, "sqlstate", None)
            if code is None and orig.args and isinstance(orig.args[0], int):
                code = orig.args[0]
            return code
        error = error.__cause__
    return None


def say(**fields):
    print(json.dumps(fields), flush=True)


n, deadline = 0, time.monotonic() + seconds
while not stop.exists() and time.monotonic() < deadline:
    n += 1
    email, through_run, retries = f"{prefix}-{n}@x.org", n % 2 == 0, []
    started = time.monotonic()
    try:
        if through_run:
            run(
                lambda: UnitOfWork(db),
                lambda uow: uow.session.create(User, email=email),
                attempts=3,
                backoff=0.05,
                on_retry=lambda _attempt, error, _delay: retries.append(type(error).__name__),
            )
        else:
            with UnitOfWork(db) as uow:
                uow.session.create(User, email=email)
    except Exception as error:
        message = str(error).strip().splitlines()
        say(n=n, email=email, run=through_run, started=started, ended=time.monotonic(), ok=False,
            error=type(error).__name__, ours=isinstance(error, DatalayerError), code=driver_code(error),
            message=message[0][:300] if message else "", retries=retries)
    else:
        say(n=n, email=email, run=through_run, started=started, ended=time.monotonic(), ok=True,
            retries=retries)
    time.sleep(0.02)
db.dispose()
say(done=n)
'''


@dataclass
class Outcome:
    n: int
    email: str
    run: bool
    started: float
    ended: float
    ok: bool
    retries: list[str]
    error: str | None = None
    ours: bool = False
    code: str | int | None = None
    message: str = ""


class Application:
    """The application script in a process of its own; its outcomes gathered as they are printed."""

    def __init__(self, url: str, workdir: Path, prefix: str) -> None:
        script = workdir / "application.py"
        script.write_text(APPLICATION)
        self.stop_file = workdir / "stop"
        self.outcomes: list[Outcome] = []
        self.done: int | None = None
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, str(script), url, str(self.stop_file), prefix, "180"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            fields: dict[str, Any] = json.loads(line)
            with self._lock:
                if "done" in fields:
                    self.done = int(fields["done"])
                else:
                    self.outcomes.append(Outcome(**fields))

    def snapshot(self) -> list[Outcome]:
        with self._lock:
            return list(self.outcomes)

    def wait_for(self, what: str, predicate: Callable[[list[Outcome]], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.snapshot()):
            if self.process.poll() is not None:
                raise AssertionError(f"the application exited while waiting for {what}: {self.stderr()}")
            assert time.monotonic() < deadline, f"no {what} within {timeout} s: {self.snapshot()[-5:]}"
            time.sleep(0.05)

    def stop(self) -> int:
        self.stop_file.touch()
        code = self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        return code

    def stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None or self.process.stderr.closed:
            return ""
        return self.process.stderr.read()[-3000:]

    def close(self) -> None:
        """Kill the process if it still runs, and close its pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


class Server:
    """Stop and start the local server behind ``url`` (root, on the machine itself)."""

    def __init__(self, backend: str, url: str) -> None:
        self.backend = backend
        parsed = make_url(url)
        self.host = parsed.host or "127.0.0.1"
        self.port = str(parsed.port or (5432 if backend == "postgresql" else 3306))
        self.user = parsed.username or "root"

    def _command(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, capture_output=True, text=True, timeout=120, check=check)

    def _mysqladmin(self, command: str, check: bool) -> subprocess.CompletedProcess[str]:
        return self._command(
            "mysqladmin",
            f"-u{self.user}",
            "--protocol=tcp",
            "-h",
            self.host,
            "-P",
            self.port,
            command,
            check=check,
        )

    def _pg_ctlcluster(self, action: str) -> None:
        (version,) = os.listdir("/etc/postgresql")
        self._command("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action)

    def up(self) -> bool:
        if self.backend == "postgresql":
            return (
                self._command("pg_isready", "-q", "-h", self.host, "-p", self.port, check=False).returncode
                == 0
            )
        return self._mysqladmin("ping", check=False).returncode == 0

    def _wait(self, up: bool, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while self.up() != up or (not up and self._mariadbd_running()):
            assert time.monotonic() < deadline, (
                f"{self.backend} not {'up' if up else 'down'} after {timeout} s"
            )
            time.sleep(0.1)

    def _mariadbd_running(self) -> bool:
        # The server of the pid file: a replica's mariadbd (scripts/cluster.sh) may run beside it.
        return self.backend == "mariadb" and os.path.exists(_MARIADB_PID_FILE)

    def stop(self) -> None:
        if self.backend == "postgresql":
            self._pg_ctlcluster("stop")  # fast shutdown: sessions are ended, in-flight work rolled back
        else:
            self._mysqladmin("shutdown", check=True)
        self._wait(up=False)

    def start(self) -> None:
        if self.backend == "postgresql":
            self._pg_ctlcluster("start")
        else:
            self._command(
                "start-stop-daemon",
                "--start",
                "--oknodo",
                "--background",
                "--pidfile",
                _MARIADB_PID_FILE,
                "--exec",
                "/usr/sbin/mariadbd",
            )
        self._wait(up=True)

    def ensure_up(self) -> None:
        if not self.up():
            self.start()


@pytest.mark.restart
@pytest.mark.skipif(
    os.environ.get(RESTART_VARIABLE) != "1",
    reason=f"restarts the database servers, disturbing anything else connected: set {RESTART_VARIABLE}=1 "
    "(CI runs these first, in a step of their own: pytest -m restart)",
)
def test_units_fail_cleanly_while_the_server_restarts_and_succeed_again_in_the_same_process(
    server_env: Env,
    outsider: Outsider,
    _env_cache: dict[str, Env],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if "/" in variant(request):
        pytest.skip("one restart per server: the create_or_first path plays no part here")
    server = Server(server_env.backend, server_env.url)
    assert server.up(), f"{server_env.backend} is not running"
    app = Application(server_env.url, tmp_path, prefix=f"app-{server_env.backend}")
    try:
        app.wait_for("5 committed units", lambda seen: sum(o.ok for o in seen) >= 5)
        stopping = time.monotonic()
        server.stop()
        down = time.monotonic()
        app.wait_for("4 units run while down", lambda seen: sum(o.started > down for o in seen) >= 4)
        time.sleep(max(0.0, down + DOWN_SECONDS - time.monotonic()))  # long enough for run() to give up
        starting = time.monotonic()
        server.start()
        back = time.monotonic()
        for env in _env_cache.values():  # this process's pools hold connections to the old server
            env.db.dispose()
        app.wait_for(
            "10 committed units after the restart",
            lambda seen: sum(o.ok and o.started > back for o in seen) >= 10,
        )
        assert app.stop() == 0, app.stderr()
    finally:
        app.close()
        server.ensure_up()
        for env in _env_cache.values():
            env.db.dispose()

    outcomes = app.snapshot()
    assert app.done == len(outcomes)
    failures = [o for o in outcomes if not o.ok]
    while_down = [o for o in outcomes if o.started > down and o.ended < starting]
    assert while_down and not any(o.ok for o in while_down)
    for failure in failures:  # datalayer's errors only: never a raw driver error
        assert failure.ours and failure.error in ("ConnectionLostError", "CommitUnknownError"), failure
        if failure.error == "CommitUnknownError":  # only a unit caught by the stop itself
            assert failure.started < down, failure

    saved = outsider.emails()
    for outcome in outcomes:
        if outcome.ok:
            assert outcome.email in saved, f"reported committed but not in the database: {outcome}"
        elif outcome.error != "CommitUnknownError":
            assert outcome.email not in saved, f"reported failed but in the database: {outcome}"
    recovered = next(o.n for o in outcomes if o.ok and o.started > back)
    assert all(o.ok for o in outcomes if o.n >= recovered), [
        o for o in outcomes if o.n >= recovered and not o.ok
    ]

    retries = sum(len(o.retries) for o in outcomes)
    through_run = sum(o.run for o in outcomes)
    first_success = next(o.started for o in outcomes if o.n == recovered) - back
    print(
        f"\n{server_env.backend} restart: {len(outcomes)} units ({through_run} through run()), "
        f"{sum(o.ok for o in outcomes)} committed, {len(failures)} failed "
        f"{dict(Counter(o.error for o in failures))}, {retries} retries, "
        f"{len(while_down)} units while down, down {starting - stopping:.1f} s, back after "
        f"{back - starting:.1f} s, first success {first_success:.2f} s after; rows lost 0"
    )
