"""``Database(url, pooler="transaction")``: nothing of a client outlives its transaction on the server.

Through the PgBouncer ``scripts/cluster.sh up`` starts on 6432 (transaction mode); skipped, saying
so, when it is down. The race suites and the soak run through it in ``test_pgbouncer``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from datalayer import Database, UnitOfWork
from datalayer.asyncio import AsyncDatabase, AsyncUnitOfWork
from datalayer.errors import MigrationError, UsageError
from datalayer.testing import clean_tables
from tests._pgbouncer import bouncer_down, through_bouncer
from tests.conftest import _SERVER_NAMES, Env, _cached_env, async_driver_url
from tests.models import define_models

REPEATS = 12  # psycopg prepares a statement on its fifth run by default


@pytest.fixture
def direct(_env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    if "postgresql" not in _SERVER_NAMES:
        pytest.skip("DATALAYER_TEST_POSTGRESQL_URL is not set")
    env = _cached_env("postgresql", _env_cache, tmp_path_factory)
    reason = bouncer_down(env.url)
    if reason is not None:
        pytest.skip(reason)
    yield env
    clean_tables(env.db)


def psycopg_prepared(uow: UnitOfWork) -> int:
    """How many statements psycopg prepared (``_pg3_0``...) on the server connection of ``uow``."""
    query = text("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE '\\_pg3\\_%'")
    return int(uow.session.execute(query).scalar_one())


def test_repeated_statements_in_units_through_the_pooler_leave_no_prepared_statement(direct: Env) -> None:
    db = Database(through_bouncer(direct.url), pooler="transaction", pool_size=2)
    try:
        User = define_models(db).User
        for n in range(REPEATS):
            with UnitOfWork(db) as uow:
                uow.repository(User).create(email=f"u{n}@x.org")
                assert uow.repository(User).first(email=f"u{n}@x.org") is not None
                assert psycopg_prepared(uow) == 0
    finally:
        db.dispose()


def test_without_the_option_psycopg_prepares_statements_that_the_pooler_hands_to_others(direct: Env) -> None:
    db = Database(direct.url, pool_size=1)  # directly: one server connection, statements prepared
    try:
        for _ in range(REPEATS):
            with UnitOfWork(db) as uow:
                uow.session.execute(text("SELECT 1 + 1"))
        with UnitOfWork(db) as uow:
            assert psycopg_prepared(uow) > 0
    finally:
        db.dispose()


def test_a_read_only_unit_through_the_pooler_is_read_only_by_its_transaction_alone(direct: Env) -> None:
    db = Database(through_bouncer(direct.url), pooler="transaction", pool_size=1)
    try:
        with UnitOfWork(db, read_only=True) as uow:
            assert uow.session.execute(text("SHOW transaction_read_only")).scalar_one() == "on"
            # the session's default, which the pooler's next client would get, is left alone
            assert uow.session.execute(text("SHOW default_transaction_read_only")).scalar_one() == "off"
    finally:
        db.dispose()


def test_a_read_only_unit_on_an_autocommit_engine_through_the_pooler_is_refused(direct: Env) -> None:
    db = Database(through_bouncer(direct.url), pooler="transaction", isolation_level="AUTOCOMMIT")
    try:
        with (
            pytest.raises(UsageError, match="AUTOCOMMIT engine behind a transaction pooler"),
            UnitOfWork(db, read_only=True) as uow,
        ):
            uow.session.execute(text("SELECT 1"))
        with UnitOfWork(db) as uow:  # units that may write are not concerned
            uow.session.execute(text("SELECT 1"))
    finally:
        db.dispose()


@pytest.mark.parametrize("driver", ["psycopg", "asyncpg"])
async def test_async_units_through_the_pooler_prepare_nothing_that_clashes(direct: Env, driver: str) -> None:
    adb = AsyncDatabase(async_driver_url(through_bouncer(direct.url), driver), pooler="transaction")
    try:
        for n in range(REPEATS):
            async with AsyncUnitOfWork(adb) as uow:
                await uow.session.execute(
                    text("INSERT INTO t_tags (label) VALUES (:label)"), {"label": f"t{n}"}
                )
                await uow.session.execute(text("SELECT count(*) FROM t_tags"))
        async with AsyncUnitOfWork(adb, read_only=True) as uow:
            assert (await uow.session.execute(text("SELECT count(*) FROM t_tags"))).scalar_one() == REPEATS
    finally:
        await adb.dispose()


@pytest.mark.parametrize(
    ("url", "pooler", "message"),
    [
        ("postgresql+psycopg://u@h/db", "session", "the one known is 'transaction'"),
        ("mysql+pymysql://u@h/db", "transaction", "for PostgreSQL behind PgBouncer, not mysql"),
    ],
)
def test_a_pooler_datalayer_does_not_know_is_refused(url: str, pooler: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Database(url, pooler=pooler)


def test_migrations_through_the_pooler_are_refused_before_taking_their_lock(direct: Env) -> None:
    from datalayer.migrations._lock import upgrade_lock

    db = Database(through_bouncer(direct.url), pooler="transaction")
    try:
        with (
            db.engine.connect() as connection,
            pytest.raises(MigrationError, match="direct connection to PostgreSQL"),
            upgrade_lock(connection, 1.0),
        ):
            pass
    finally:
        db.dispose()
