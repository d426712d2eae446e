"""Read replicas attacked from the side: commits the router could miss, tokens, failures, leaks.

Against the replicas ``scripts/cluster.sh up`` starts, as ``test_replicas.py``;
skipped, saying so, when they are not up.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
import time
import weakref
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from datalayer import Database, UnitOfWork
from datalayer.errors import CommitUnknownError, ConnectionLostError, UsageError
from datalayer.testing import clean_tables, count_queries
from tests._relay import Relay
from tests._replicas import REPLICA_PORTS, Routed, on_replica, replay_paused, replica_url, routed_env
from tests.conftest import _SERVER_NAMES, Env, _cached_env
from tests.models import define_models


@pytest.fixture
def postgresql(_env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    if "postgresql" not in _SERVER_NAMES:
        pytest.skip("no PostgreSQL server: DATALAYER_TEST_POSTGRESQL_URL is not set")
    env = _cached_env("postgresql", _env_cache, tmp_path_factory)
    yield env
    clean_tables(env.db)


def test_a_commit_made_with_synchronous_commit_off_is_seen_too(postgresql: Env) -> None:
    # Such a commit returns before its WAL is written out: the primary's WAL *write*
    # position may still be short of it, while the commit is visible on the primary.
    side = routed_env(postgresql, connect_args={"options": "-c synchronous_commit=off"})
    routed = next(side)
    User = routed.models.User
    try:
        for n in range(10):  # each read waits for the WAL writer (up to 200 ms); 196 of 200 missed
            with UnitOfWork(routed.db) as uow:
                uow.session.create(User, email=f"async{n}@x.org")
            with UnitOfWork(routed.db, read_only=True) as uow:
                found = uow.session.first(User, email=f"async{n}@x.org")
                assert found is not None, f"pair {n} missed its write"
    finally:
        next(side, None)


@pytest.fixture
def routed(server_base: Env) -> Iterator[Routed]:
    yield from routed_env(server_base, replica_wait=0.1)


def _seen(routed: Routed, email: str) -> bool:
    """Whether a read-only unit starting now finds the user ``email``."""
    with UnitOfWork(routed.db, read_only=True) as uow:
        return uow.session.first(routed.models.User, email=email) is not None


def test_writes_on_an_autocommit_connection_are_seen(routed: Routed) -> None:
    table = routed.models.User.__table__
    autocommit = routed.db.engine.execution_options(isolation_level="AUTOCOMMIT")
    with replay_paused(routed):  # the replica has none of them: a read there would miss
        with autocommit.connect() as connection:  # each statement commits itself: no COMMIT is sent
            connection.execute(table.insert().values(email="core@x.org"))
        assert _seen(routed, "core@x.org")
        with autocommit.connect() as connection:
            connection.execute(text("INSERT INTO t_users (email) VALUES ('text@x.org')"))
        assert _seen(routed, "text@x.org")
        with UnitOfWork(routed.db) as uow:  # a session on a connection at AUTOCOMMIT
            uow.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            uow.session.execute(table.insert().values(email="session@x.org"))
            uow.rollback()  # undoes nothing: the INSERT was committed at once
        assert _seen(routed, "session@x.org")


def test_a_commit_sent_as_sql_or_made_by_ddl_is_seen(routed: Routed) -> None:
    table = routed.models.User.__table__
    with replay_paused(routed):
        with routed.db.engine.connect() as connection:
            connection.execute(table.insert().values(email="sql@x.org"))
            connection.exec_driver_sql("COMMIT")
        assert _seen(routed, "sql@x.org")
    if routed.backend != "mariadb":
        return
    try:
        with replay_paused(routed):
            with routed.db.engine.connect() as connection:  # closed without a commit: rolled back...
                connection.execute(table.insert().values(email="ddl@x.org"))
                connection.exec_driver_sql("CREATE TABLE t_ddl_commits (id INT)")  # ...but DDL committed it
            assert _seen(routed, "ddl@x.org")
    finally:
        with routed.db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS t_ddl_commits")


def test_a_commit_whose_answer_was_lost_is_seen_once_made(server_base: Env) -> None:
    # The unit raises CommitUnknownError: "check whether the work is there". A read-only
    # unit is how one checks, and it must not answer "no" from a replica that lags.
    relay = Relay(int(make_url(server_base.url).port or 0))
    db = Database(
        relay.url(server_base.url),
        replicas=[replica_url(server_base.url, server_base.backend)],
        replica_wait=0.1,
        **server_base.engine_options,
    )
    routed = Routed(server_base.backend, server_base.url, db, define_models(db))
    try:
        with replay_paused(routed):
            with pytest.raises(CommitUnknownError), UnitOfWork(db) as uow:
                uow.session.create(routed.models.User, email="unknown@x.org")
                relay.lose_commit_answers = True  # the unit's COMMIT, at the end of the block
            relay.lose_commit_answers = False
            assert _seen(routed, "unknown@x.org")  # the server made the commit
    finally:
        db.dispose()
        relay.close()


def test_units_failing_together_on_a_replica_back_it_off_once(server_base: Env) -> None:
    relay = Relay(REPLICA_PORTS[server_base.backend])
    replica = relay.url(replica_url(server_base.url, server_base.backend))
    db = Database(server_base.url, replicas=[replica], **server_base.engine_options)
    routed = Routed(server_base.backend, server_base.url, db, define_models(db))
    holding, cut = threading.Barrier(5, timeout=30), threading.Barrier(5, timeout=30)
    outcomes: list[object] = []

    def read() -> None:
        try:
            with UnitOfWork(db, read_only=True) as uow:
                outcomes.append(on_replica(routed, uow.session))
                holding.wait()
                cut.wait()
                uow.session.execute(text("SELECT 1"))
        except ConnectionLostError as error:
            outcomes.append(error)

    readers = [threading.Thread(target=read) for _ in range(4)]
    try:
        for reader in readers:
            reader.start()
        holding.wait()  # four units on the replica...
        relay.cut()  # ...lose their connections in one outage
        cut.wait()
        for reader in readers:
            reader.join(30)
        assert outcomes.count(True) == 4
        assert sum(isinstance(outcome, ConnectionLostError) for outcome in outcomes) == 4
        time.sleep(0.7)  # past the first back-off (0.5 s), not one doubled for each unit
        with UnitOfWork(db, read_only=True) as uow:
            assert on_replica(routed, uow.session)
    finally:
        db.dispose()
        relay.close()


@contextlib.contextmanager
def _unprivileged(server_base: Env) -> Iterator[str]:
    """``server_base``'s URL as a new user allowed to read its tables and nothing else, on the replica too."""
    name = f"dl_reader_{os.getpid()}"
    url = make_url(server_base.url)
    database = url.database
    admin = create_engine(server_base.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    if server_base.backend == "postgresql":
        setup = [f"CREATE ROLE {name} LOGIN", f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}"]
        teardown = [f"DROP OWNED BY {name}", f"DROP ROLE {name}"]
    else:
        setup = [f"CREATE USER '{name}'@'%'", f"GRANT SELECT ON `{database}`.* TO '{name}'@'%'"]
        teardown = [f"DROP USER '{name}'@'%'"]
    with admin.connect() as connection:
        for statement in setup:
            connection.execute(text(statement))
    user_url = url.set(username=name, password=None).render_as_string(hide_password=False)
    try:
        _wait_for_login(replica_url(user_url, server_base.backend))
        yield user_url
    finally:
        with admin.connect() as connection:
            for statement in teardown:
                connection.execute(text(statement))
        admin.dispose()


def _wait_for_login(url: str) -> None:
    """Wait until the replica has replayed the user's creation and grant (two commits on MariaDB)."""
    engine = create_engine(url, poolclass=NullPool)
    deadline = time.monotonic() + 10
    try:
        while True:
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT COUNT(*) FROM t_users"))
                    return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        engine.dispose()


def test_a_user_without_monitoring_privileges_reads_on_the_replica(server_base: Env) -> None:
    # Applications log in as such users: pg_stat_wal_receiver hides its status from them
    # (pg_read_all_stats), and MariaDB refuses them SHOW SLAVE STATUS (SLAVE MONITOR).
    with _unprivileged(server_base) as url:
        db = Database(url, replicas=[replica_url(url, server_base.backend)], **server_base.engine_options)
        routed = Routed(server_base.backend, url, db, define_models(db))
        try:
            with UnitOfWork(db, read_only=True) as uow:
                assert on_replica(routed, uow.session)
                assert uow.session.first(routed.models.User, email="nobody@x.org") is None
        finally:
            db.dispose()


_OUT_OF_RANGE = {
    "postgresql": ["pg:-1/5", "pg:0/1FFFFFFFF", "pg:100000000/0"],
    "mariadb": ["mariadb:4294967296-1-5", "mariadb:0-4294967296-1", "mariadb:0-1-18446744073709551616"],
}


def test_a_token_out_of_the_servers_range_is_refused_and_leaves_the_replica_in_use(routed: Routed) -> None:
    # A token comes from a cookie: the server's own error on it must not count against the replica.
    for token in _OUT_OF_RANGE[routed.backend]:
        with pytest.raises(UsageError, match="token"), UnitOfWork(routed.db, read_only=True, token=token):
            pass
    with UnitOfWork(routed.db, read_only=True) as uow:
        assert on_replica(routed, uow.session)


def test_a_database_with_replicas_is_freed_once_dropped(server_base: Env) -> None:
    db = Database(
        server_base.url,
        replicas=[replica_url(server_base.url, server_base.backend)],
        **server_base.engine_options,
    )
    with UnitOfWork(db, read_only=True) as uow:
        uow.session.execute(text("SELECT 1"))
    engines = [weakref.ref(engine) for engine in db.engines]
    db.dispose()
    del db, uow
    gc.collect()
    assert [engine() for engine in engines] == [None, None]


_ASYNC_DRIVERS = {"postgresql": "postgresql+asyncpg", "mariadb": "mysql+aiomysql"}


def test_a_replica_with_an_asyncio_driver_is_refused(server_base: Env) -> None:
    # A Database runs its units synchronously: each read-only unit sent there would fail.
    replica = make_url(replica_url(server_base.url, server_base.backend)).set(
        drivername=_ASYNC_DRIVERS[server_base.backend]
    )
    with pytest.raises(UsageError, match="asyncio driver"):
        Database(server_base.url, replicas=[replica])


def test_at_autocommit_the_primary_is_asked_where_it_stands_once_after_a_commit(server_base: Env) -> None:
    # The question itself runs on the primary, at AUTOCOMMIT too: it is no commit.
    side = routed_env(server_base, isolation_level="AUTOCOMMIT")
    routed = next(side)
    try:
        with UnitOfWork(routed.db) as uow:
            uow.session.create(routed.models.User, email="once@x.org")
        with count_queries(routed.db.engine) as log:
            for _ in range(3):
                assert _seen(routed, "once@x.org")
        assert len(log) == 1, log.report()
    finally:
        next(side, None)
