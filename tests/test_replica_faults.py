"""Replicas that stop, lag or stop replicating: read-only units go elsewhere, and nothing raises.

The replicas are the real ones ``scripts/cluster.sh up`` starts; each test
leaves them replicating again (``up`` is idempotent).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from datalayer import UnitOfWork, run
from tests._replicas import REPLICA_PORTS, Routed, on_replica, replica_url, routed_env, run_cluster
from tests.conftest import Env


@pytest.fixture
def routed(server_base: Env) -> Iterator[Routed]:
    yield from routed_env(server_base, max_lag=0.5)
    run_cluster("up")  # whatever the test did to the replica


def _stop_replica(backend: str) -> None:
    if backend == "postgresql":
        (version,) = os.listdir("/etc/postgresql")
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "replica", "stop", "-m", "fast"]
    else:
        port = str(REPLICA_PORTS[backend])
        command = ["mysqladmin", "--protocol=tcp", "-h", "127.0.0.1", "-P", port, "-uroot", "shutdown"]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def test_a_replica_stopped_mid_load_raises_nothing_and_serves_again_once_back(routed: Routed) -> None:
    User = routed.models.User
    with UnitOfWork(routed.db) as uow:
        uow.session.create(User, email="seen@x.org")
    served: Counter[str] = Counter()
    failures: list[BaseException] = []
    stop = threading.Event()

    def read(uow: UnitOfWork) -> str:
        assert uow.session.first(User, email="seen@x.org") is not None
        return "replica" if on_replica(routed, uow.session) else "primary"

    def load() -> None:
        while not stop.is_set():
            try:
                served[run(lambda: UnitOfWork(routed.db, read_only=True), read, attempts=3)] += 1
            except BaseException as failure:  # every failure is the test's finding
                failures.append(failure)

    readers = [threading.Thread(target=load) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        time.sleep(0.5)
        _stop_replica(routed.backend)
        time.sleep(1.0)
        while_down = served.copy()
        time.sleep(1.0)
        assert served["primary"] > while_down["primary"]  # the load went on, on the primary
        run_cluster("up")
        back = served["replica"]
        deadline = time.monotonic() + 45  # the replica is tried again after its back-off (30 s at most)
        while served["replica"] <= back + 20 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        for reader in readers:
            reader.join(60)
    assert failures == []
    assert served["replica"] > back + 20, served


def test_a_replica_lagging_past_max_lag_is_skipped_until_it_catches_up(
    routed: Routed, server_base: Env
) -> None:
    User = routed.models.User
    with UnitOfWork(routed.db, read_only=True) as uow:
        assert on_replica(routed, uow.session)
    replica = create_engine(replica_url(server_base.url, server_base.backend), isolation_level="AUTOCOMMIT")
    pause, resume = (
        ("SELECT pg_wal_replay_pause()", "SELECT pg_wal_replay_resume()")
        if server_base.backend == "postgresql"
        else ("STOP SLAVE SQL_THREAD", "START SLAVE SQL_THREAD")
    )
    try:
        with replica.connect() as connection:
            connection.execute(text(pause))
        # Written by another Database, as by another process: this one's units need not see it.
        with UnitOfWork(server_base.db) as uow:
            uow.session.create(server_base.models.User, email="later@x.org")
        time.sleep(1.6)  # past max_lag, and past the next check of the lag
        with UnitOfWork(routed.db, read_only=True) as uow:
            assert not on_replica(routed, uow.session)  # skipped: too far behind
            assert uow.session.first(User, email="later@x.org") is not None
        with replica.connect() as connection:
            connection.execute(text(resume))
        time.sleep(1.2)
        with UnitOfWork(routed.db, read_only=True) as uow:
            assert on_replica(routed, uow.session)
            assert uow.session.first(User, email="later@x.org") is not None
    finally:
        with replica.connect() as connection:
            connection.execute(text(resume))
        replica.dispose()
