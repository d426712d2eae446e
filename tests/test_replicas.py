"""Read replicas: read-only units on a real streaming replica, never stale for the writer.

Against the replicas ``scripts/cluster.sh up`` starts (PostgreSQL on 5433,
MariaDB on 3307); skipped, saying so, when they are not up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import ANY

import pytest
from sqlalchemy import func, select, text

from datalayer import Database, UnitOfWork
from datalayer.errors import UsageError
from tests._replicas import Routed, on_replica, routed_env
from tests._views import paths, views_of
from tests.conftest import Env


@pytest.fixture
def routed(server_base: Env) -> Iterator[Routed]:
    yield from routed_env(server_base)


def test_read_only_units_run_on_the_replica_and_units_that_write_on_the_primary(routed: Routed) -> None:
    with UnitOfWork(routed.db, read_only=True) as uow:
        assert on_replica(routed, uow.session)
    with UnitOfWork(routed.db) as uow:
        assert not on_replica(routed, uow.session)
    with routed.db.Session() as dbs:  # sessions of the factory, and db.s, stay on the primary
        assert not on_replica(routed, dbs)
    assert not on_replica(routed, routed.db.s)
    routed.db.s.remove()


def test_a_read_only_unit_sees_every_commit_made_before_it_in_the_process(routed: Routed) -> None:
    User = routed.models.User
    on_the_replica = 0
    for n in range(300):
        with UnitOfWork(routed.db) as uow:
            uow.session.create(User, email=f"u{n}@x.org")
        with UnitOfWork(routed.db, read_only=True) as uow:
            assert uow.session.first(User, email=f"u{n}@x.org") is not None, f"pair {n} missed its write"
            on_the_replica += on_replica(routed, uow.session)
    assert on_the_replica >= 150  # the replica keeps up on loopback: most reads stay there


def test_commits_through_the_scoped_session_count_too(routed: Routed) -> None:
    User = routed.models.User
    for n in range(50):
        routed.db.s.create(User, email=f"s{n}@x.org")
        routed.db.s.commit()
        with UnitOfWork(routed.db, read_only=True) as uow:
            assert uow.session.first(User, email=f"s{n}@x.org") is not None
    routed.db.s.remove()


def test_commits_through_core_connections_and_mid_unit_commits_count_too(routed: Routed) -> None:
    User = routed.models.User
    table = User.__table__
    for n in range(50):
        with routed.db.engine.begin() as connection:  # Core, no session
            connection.execute(table.insert().values(email=f"core{n}@x.org"))
        with UnitOfWork(routed.db, read_only=True) as uow:
            assert uow.session.first(User, email=f"core{n}@x.org") is not None
        with UnitOfWork(routed.db) as writer:
            writer.session.create(User, email=f"mid{n}@x.org")
            writer.commit()  # committed while the unit goes on
            with UnitOfWork(routed.db, read_only=True) as uow:
                assert uow.session.first(User, email=f"mid{n}@x.org") is not None


def test_a_token_carries_a_commit_to_another_process(server_base: Env) -> None:
    # Two Databases on the same servers: each knows only its own commits, as two processes would.
    writer_side = routed_env(server_base)
    reader_side = routed_env(server_base)
    writer, reader = next(writer_side), next(reader_side)
    User = writer.models.User
    for n in range(100):
        with UnitOfWork(writer.db) as uow:
            uow.session.create(User, email=f"t{n}@x.org")
        token = uow.token
        assert token is not None and token.startswith(("pg:", "mariadb:"))
        with UnitOfWork(reader.db, read_only=True, token=token) as uow:
            assert uow.session.first(reader.models.User, email=f"t{n}@x.org") is not None
    for side in (writer_side, reader_side):
        next(side, None)


def test_tokens_are_checked(routed: Routed) -> None:
    with pytest.raises(UsageError, match="once the unit has committed"):
        _ = UnitOfWork(routed.db).token
    with pytest.raises(UsageError, match="token= is for read-only units"):
        UnitOfWork(routed.db, token="pg:0/1")
    with pytest.raises(UsageError, match="takes the string"):
        UnitOfWork(routed.db, read_only=True, token=5)  # type: ignore[arg-type]
    other = "mariadb:0-1-5" if routed.backend == "postgresql" else "pg:0/16B3748"
    for bad in (other, "nonsense", "pg:zz", "mariadb:0-x-1"):
        with pytest.raises(UsageError, match="token"), UnitOfWork(routed.db, read_only=True, token=bad):
            pytest.fail(f"a unit given the token {bad!r} was entered: it must be refused before")


def test_reads_spread_over_every_replica(server_base: Env) -> None:
    routed_side = routed_env(server_base, replicas=2)
    routed = next(routed_side)
    used: set[int] = set()
    for _ in range(10):
        with UnitOfWork(routed.db, read_only=True) as uow:
            used.add(id(uow.session.get_bind()))
    assert used == {id(engine) for engine in routed.db.engines[1:]}
    next(routed_side, None)


def test_a_replica_that_cannot_be_reached_is_skipped_and_nothing_raises(server_base: Env) -> None:
    from tests._replicas import replica_url

    closed = replica_url(server_base.url, server_base.backend).replace(
        f":{5433 if server_base.backend == 'postgresql' else 3307}/", ":1/"
    )
    db = Database(
        server_base.url,
        replicas=[closed, replica_url(server_base.url, server_base.backend)],
        **server_base.engine_options,
    )
    try:
        routed = Routed(server_base.backend, server_base.url, db, server_base.models)
        replicas = 0
        for _ in range(20):
            with UnitOfWork(db, read_only=True) as uow:
                replicas += on_replica(routed, uow.session)
        assert replicas == 20  # the closed one was skipped (and is left alone until its back-off ends)
    finally:
        db.dispose()


def test_read_only_units_inside_the_testing_toolkits_transaction_stay_on_its_connection(
    routed: Routed,
) -> None:
    User = routed.models.User
    transaction = routed.db.test_transaction()
    try:
        routed.db.s.create(User, email="uncommitted@x.org")
        with UnitOfWork(routed.db, read_only=True) as uow:
            assert uow.session.first(User, email="uncommitted@x.org") is not None
    finally:
        transaction.close()


@pytest.mark.parametrize("options", [{"replicas": "postgresql://h/db"}, {"max_lag": 0}, {"replica_wait": -1}])
def test_bad_replica_options_are_refused(server_base: Env, options: dict[str, Any]) -> None:
    options.setdefault("replicas", [server_base.url])
    with pytest.raises(UsageError):
        Database(server_base.url, **options)


def test_sqlite_refuses_replicas(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    with pytest.raises(UsageError, match="sqlite has none"):
        Database(url, replicas=[f"sqlite:///{tmp_path / 'b.db'}"])


def test_a_replica_of_another_kind_of_database_is_refused(server_base: Env, tmp_path: Any) -> None:
    with pytest.raises(UsageError, match="a replica replicates its primary"):
        Database(server_base.url, replicas=[f"sqlite:///{tmp_path / 'b.db'}"])


def test_counting_on_the_replica_matches_the_primary(routed: Routed) -> None:
    User = routed.models.User
    with UnitOfWork(routed.db) as uow:
        uow.session.create_many(User, [{"email": f"c{n}@x.org"} for n in range(25)])
    with UnitOfWork(routed.db, read_only=True) as uow:
        assert on_replica(routed, uow.session)
        assert uow.session.scalar(select(func.count()).select_from(User)) == 25
        assert uow.session.execute(text("SELECT 1")).scalar_one() == 1


def test_views_read_on_the_replica_and_the_primary_on_the_drivers_cursor(
    routed: Routed, monkeypatch: pytest.MonkeyPatch
) -> None:
    User = routed.models.User
    UserRow = views_of(routed.models).UserRow
    with paths(monkeypatch) as taken:
        with UnitOfWork(routed.db) as uow:
            uow.session.create(User, email="v@x.org")
            assert uow.session.first(UserRow, email="v@x.org") is not None  # the primary, in the unit
        with UnitOfWork(routed.db, read_only=True) as uow:
            assert on_replica(routed, uow.session)
            assert uow.session.first(UserRow, email="v@x.org") == UserRow(id=ANY, email="v@x.org")
    assert taken == ["raw", "raw"]  # the router's listener on the primary hears no SELECT
