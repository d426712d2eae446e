"""A Database naming every node of the Galera cluster keeps working when one node stops serving or dies.

Against the three nodes ``scripts/cluster.sh up`` starts; skipped, saying so, when the cluster is not up.
The node killed here is started again (``scripts/cluster.sh up``) before the test ends.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

from datalayer import Database, UnitOfWork, run
from datalayer.errors import CommitUnknownError, ConnectionLostError, RetryableError
from tests._galera import Galera, galera_down, set_global
from tests._replicas import run_cluster
from tests.models import define_models

THREADS = 4


def port_of(uow: UnitOfWork) -> int:
    return int(uow.session.execute(text("SELECT @@port")).scalar_one())


def test_units_on_a_node_that_stops_serving_fail_as_connection_lost_and_their_retry_uses_the_next(
    galera: Galera,
) -> None:
    first, second = galera.nodes[0], galera.nodes[1]
    db = Database(galera.url(first.port, second.port))
    User = define_models(db).User
    errors: list[RetryableError] = []
    try:
        with UnitOfWork(db) as uow:
            assert port_of(uow) == first.port
        set_global(first.port, "wsrep_reject_queries = ALL")  # the node leaves service, as for maintenance
        try:

            def work(uow: UnitOfWork) -> int:
                uow.repository(User).create(email="moved@x.org")
                return port_of(uow)

            served = run(lambda: UnitOfWork(db), work, on_retry=lambda _n, e, _d: errors.append(e))
        finally:
            set_global(first.port, "wsrep_reject_queries = NONE")
    finally:
        db.dispose()
    assert served == second.port
    assert [type(error) for error in errors] == [ConnectionLostError]
    assert "retry" in str(errors[0])
    assert first.count(first.models.User, email="moved@x.org") == 1


@dataclass
class Writer:
    """One thread of units through run(), each adding a user; what each unit did, and when."""

    number: int
    db: Database
    User: object
    committed: list[tuple[float, float, int, str]] = field(default_factory=list)  # began, ended, port, email
    unknown: list[str] = field(default_factory=list)  # the connection dropped during COMMIT
    retries: Counter[str] = field(default_factory=Counter)
    errors: list[BaseException] = field(default_factory=list)

    def loop(self, stop: threading.Event) -> None:
        serial = 0
        while not stop.is_set():
            serial += 1
            email = f"w{self.number}-{serial}@x.org"

            def work(uow: UnitOfWork, email: str = email) -> tuple[float, int]:
                began = time.monotonic()  # this attempt's: the one that committed, if any
                uow.repository(self.User).create(email=email)  # type: ignore[call-overload]
                return began, port_of(uow)

            try:
                began, port = run(
                    lambda: UnitOfWork(self.db), work, attempts=20, backoff=0.05, on_retry=self.retry
                )
            except CommitUnknownError:
                self.unknown.append(email)
            except BaseException as error:  # asserted on by the test
                self.errors.append(error)
                return
            else:
                self.committed.append((began, time.monotonic(), port, email))

    def retry(self, _attempt: int, error: RetryableError, _delay: float) -> None:
        self.retries[type(error).__name__] += 1


def kill_node(port: int) -> None:
    """Kill the node of ``port`` (SIGKILL to the pid of its pid file: a crash) and wait until it is gone."""
    pid_file = f"/run/mysqld/galera{port - 3310}.pid"
    if not os.access(pid_file, os.R_OK):
        pytest.skip(f"{pid_file} cannot be read: the cluster is not this machine's own")
    with open(pid_file) as file:
        pid = int(file.read())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while os.path.exists(f"/proc/{pid}/status") and time.monotonic() < deadline:
        with open(f"/proc/{pid}/status") as status:
            if "zombie" in status.read():
                return
        time.sleep(0.01)


class Straddler:
    """A unit open on the victim when it dies: its next statement fails, and run() retries it elsewhere."""

    def __init__(self, db: Database, User: type) -> None:
        self.db, self.User = db, User
        self.inside, self.killed = threading.Event(), threading.Event()
        self.ports: list[int] = []  # each attempt's node
        self.retried: list[RetryableError] = []
        self.outcome: list[object] = []

    def work(self, uow: UnitOfWork) -> int:
        self.ports.append(port_of(uow))
        uow.repository(self.User).create(email="straddler@x.org")  # type: ignore[call-overload]
        if len(self.ports) == 1:
            self.inside.set()
            self.killed.wait(60)
        return port_of(uow)

    def run(self) -> None:
        try:
            self.outcome.append(
                run(lambda: UnitOfWork(self.db), self.work, attempts=20, backoff=0.05, on_retry=self.retry)
            )
        except BaseException as error:  # asserted on by the test
            self.outcome.append(error)

    def retry(self, _attempt: int, error: RetryableError, _delay: float) -> None:
        self.retried.append(error)


def test_a_killed_node_fails_its_units_as_connection_lost_and_their_retries_commit_on_a_live_node(
    galera: Galera,
) -> None:
    victim = galera.nodes[2]
    db = Database(galera.url(victim.port, galera.nodes[0].port, galera.nodes[1].port), pool_size=THREADS + 1)
    User = define_models(db).User
    writers = [Writer(number, db, User) for number in range(THREADS)]
    straddler = Straddler(db, User)
    stop = threading.Event()
    threads = [threading.Thread(target=writer.loop, args=(stop,)) for writer in writers]
    threads.append(threading.Thread(target=straddler.run))
    try:
        for thread in threads:
            thread.start()
        assert straddler.inside.wait(30)
        time.sleep(1.0)  # every writer is committing on the victim, the first host named
        killed_at = time.monotonic()
        kill_node(victim.port)
        dead_at = time.monotonic()  # a commit on the victim may have returned in between
        straddler.killed.set()
        deadline = killed_at + 90
        while time.monotonic() < deadline and not all(
            any(began > dead_at for began, _, _, _ in writer.committed) for writer in writers
        ):
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        stop.set()
        straddler.killed.set()
        for thread in threads:
            thread.join(timeout=120)
        db.dispose()
    try:
        errors = [error for writer in writers for error in writer.errors]
        assert errors == [], errors[:3]
        # The unit open on the victim: lost with it, then committed on a live node by its retry.
        assert [type(error) for error in straddler.retried] == [ConnectionLostError], straddler.retried
        assert straddler.ports[0] == victim.port and straddler.outcome == [straddler.ports[-1]] != [
            victim.port
        ]
        units = [unit for writer in writers for unit in writer.committed]
        before = {port for _, ended, port, _ in units if ended < killed_at}
        after = {port for began, _, port, _ in units if began > dead_at}
        assert before == {victim.port}  # the first host named, while it lived
        assert after and victim.port not in after
        retries = sum((writer.retries for writer in writers), Counter[str]())
        assert set(retries) <= {"ConnectionLostError"}, retries
        failover = max(  # until every writer has committed on a live node
            min(ended for _, ended, port, _ in writer.committed if ended > killed_at and port != victim.port)
            for writer in writers
        )
        committed = {email for _, _, _, email in units} | {"straddler@x.org"}
        unknown = {email for writer in writers for email in writer.unknown}
        survivor = galera.nodes[0]
        found = {user.email for user in _all_users(survivor.db, survivor.models.User)}
        print(
            f"\ngalera failover: {len(committed)} units committed, {len(unknown)} unknown at COMMIT, "
            f"retries {dict(retries)} and the straddling unit's; every writer committed on a live node "
            f"{failover - killed_at:.2f} s after the kill; rows lost {len(committed - found)}"
        )
        assert committed <= found and found <= committed | unknown  # nothing lost, nothing extra
    finally:
        run_cluster("up")  # the node back, rejoined by state transfer
        galera_down.cache_clear()


def _all_users(db: Database, User: type) -> list[object]:
    with UnitOfWork(db) as uow:
        uow.session.execute(text("SET SESSION wsrep_sync_wait = 1"))
        return list(uow.repository(User).all())
