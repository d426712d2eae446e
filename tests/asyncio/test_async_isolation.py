"""The plugin's async isolation: app code commits and rolls back on one connection, and nothing leaks."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select, text

from datalayer import Database
from datalayer.asyncio import AsyncDatabase, AsyncSession, AsyncUnitOfWork
from datalayer.errors import ReadOnlyError
from datalayer.testing import async_clean_tables, async_isolated
from repositories import AsyncRepository
from tests.conftest import AsyncEnv

PROBE = "async-isolation-probe@x.org"


class Boom(Exception):
    """An error of the code under test."""


def committed_rows(db: Database, table: str) -> int:
    """The rows a connection of its own sees: what was committed for real."""
    with db.engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(db.metadata.tables[table])).scalar_one()
        )


async def test_an_async_unit_that_commits_releases_a_savepoint_that_the_test_sees(
    aenv: AsyncEnv, datalayer_async_db: AsyncDatabase, async_db_session: AsyncSession
) -> None:
    async with AsyncUnitOfWork(datalayer_async_db) as uow:
        await uow.repository(aenv.models.User).create(email="a@x.org")
    assert await AsyncRepository(async_db_session, aenv.models.User).exists(email="a@x.org")
    assert committed_rows(aenv.sync.db, "t_users") == 0


async def test_a_commit_inside_the_unit_then_an_error_keeps_the_committed_part_for_the_test_only(
    aenv: AsyncEnv, datalayer_async_db: AsyncDatabase, async_db_session: AsyncSession
) -> None:
    with pytest.raises(Boom):
        async with AsyncUnitOfWork(datalayer_async_db) as uow:
            await uow.repository(aenv.models.User).create(email="committed@x.org")
            await uow.commit()
            await uow.repository(aenv.models.User).create(email="undone@x.org")
            raise Boom
    emails = [u.email for u in await async_db_session.all(aenv.models.User)]
    assert emails == ["committed@x.org"]
    assert committed_rows(aenv.sync.db, "t_users") == 0


async def test_code_under_test_that_rolls_back_keeps_the_tests_arranged_rows(
    aenv: AsyncEnv, datalayer_async_db: AsyncDatabase, async_db_session: AsyncSession
) -> None:
    arranged = await async_db_session.create(aenv.models.User, email="arranged@x.org")
    with pytest.raises(Boom):
        async with AsyncUnitOfWork(datalayer_async_db) as uow:
            await uow.repository(aenv.models.User).create(email="undone@x.org")
            raise Boom
    async with datalayer_async_db.Session() as session:  # code under test with a session of its own
        await session.create(aenv.models.User, email="also-undone@x.org")
        await session.rollback()
        assert [u.email for u in await session.all(aenv.models.User)] == ["arranged@x.org"]
    users = await async_db_session.all(aenv.models.User)
    assert users == [arranged]


async def test_sessions_of_the_code_under_test_can_commit_and_see_each_others_work(
    aenv: AsyncEnv, datalayer_async_db: AsyncDatabase
) -> None:
    async with datalayer_async_db.Session() as session:
        await session.create(aenv.models.User, email="a@x.org")
        await session.commit()
    async with datalayer_async_db.Session() as session:
        assert await session.first(aenv.models.User, email="a@x.org") is not None
    assert committed_rows(aenv.sync.db, "t_users") == 0


async def test_create_or_first_inside_an_async_test_undoes_only_its_insert(
    aenv: AsyncEnv, async_db_session: AsyncSession
) -> None:
    existing = await async_db_session.create(aenv.models.User, email="taken@x.org")
    other = await async_db_session.create(aenv.models.User, email="other@x.org")
    assert await async_db_session.create_or_first(aenv.models.User, email="taken@x.org") is existing
    assert len(await async_db_session.all(aenv.models.User)) == 2 and other in async_db_session


async def test_an_async_test_that_commits_leaves_nothing_for_the_next_part_one(
    aenv: AsyncEnv, datalayer_async_db: AsyncDatabase
) -> None:
    async with AsyncUnitOfWork(datalayer_async_db) as uow:
        await uow.repository(aenv.models.User).create(email=PROBE)
    async with datalayer_async_db.Session() as session:
        await session.create(aenv.models.Tag, label=PROBE)
        await session.commit()


async def test_an_async_test_that_commits_leaves_nothing_for_the_next_part_two(
    aenv: AsyncEnv, async_db_session: AsyncSession
) -> None:
    # Run in random order with part one: passes only if part one's commits were undone.
    assert await async_db_session.first(aenv.models.User, email=PROBE) is None
    assert await async_db_session.first(aenv.models.Tag, label=PROBE) is None


async def test_read_only_async_units_read_what_the_test_arranged_and_leave_the_connection_writable(
    aenv: AsyncEnv, datalayer_async_db: AsyncDatabase, async_db_session: AsyncSession
) -> None:
    await async_db_session.create(aenv.models.User, email="arranged@x.org")
    async with AsyncUnitOfWork(datalayer_async_db, read_only=True) as uow:
        assert await uow.repository(aenv.models.User).exists(email="arranged@x.org")
        with pytest.raises(ReadOnlyError):
            await uow.session.execute(insert(aenv.models.Tag).values(label="written"))
    async with AsyncUnitOfWork(datalayer_async_db) as uow:
        await uow.repository(aenv.models.Tag).create(label="writable")
    assert len(await async_db_session.all(aenv.models.Tag)) == 1


async def test_async_isolated_leaves_the_database_and_the_session_factory_as_they_were(
    aenv: AsyncEnv,
) -> None:
    adb = aenv.adb
    async with async_isolated(adb) as connection:
        async with AsyncUnitOfWork(adb) as uow:
            await uow.repository(aenv.models.User).create(email="a@x.org")
        async with adb.Session() as session:
            assert session.bind is connection
            await session.create(aenv.models.User, email="b@x.org")
            await session.commit()
            assert len(await session.all(aenv.models.User)) == 2
    assert adb.engine.pool.checkedout() == 0
    assert committed_rows(aenv.sync.db, "t_users") == 0
    async with adb.Session() as session:  # the factory is bound to the engine again
        assert session.bind is adb.engine and "join_transaction_mode" not in adb.Session.kw
        assert await session.all(aenv.models.User) == []


async def test_async_isolated_rolls_back_when_the_block_raises(aenv: AsyncEnv) -> None:
    with pytest.raises(Boom):
        async with async_isolated(aenv.adb):
            async with AsyncUnitOfWork(aenv.adb) as uow:
                await uow.repository(aenv.models.User).create(email="a@x.org")
            raise Boom
    assert aenv.adb.engine.pool.checkedout() == 0
    assert committed_rows(aenv.sync.db, "t_users") == 0


async def test_async_committing_db_commits_for_real(
    aenv: AsyncEnv, async_committing_db: AsyncDatabase
) -> None:
    async with AsyncUnitOfWork(async_committing_db) as uow:
        await uow.repository(aenv.models.User).create(email="real@x.org")
    assert committed_rows(aenv.sync.db, "t_users") == 1


async def test_async_clean_tables_empties_every_table(aenv: AsyncEnv) -> None:
    async with AsyncUnitOfWork(aenv.adb) as uow:
        user = await uow.repository(aenv.models.User).create(email="a@x.org")
        await uow.repository(aenv.models.Order).create(user_id=user.id, item="book")
    await async_clean_tables(aenv.adb)  # children first: the order before its user
    assert committed_rows(aenv.sync.db, "t_users") == committed_rows(aenv.sync.db, "t_orders") == 0


async def test_raw_sql_of_the_code_under_test_stays_inside_the_isolation(
    aenv: AsyncEnv, datalayer_async_db: AsyncDatabase
) -> None:
    async with AsyncUnitOfWork(datalayer_async_db) as uow:
        await uow.session.execute(text("INSERT INTO t_tags (label) VALUES ('raw')"))
    async with datalayer_async_db.Session() as session:
        assert [t.label for t in await session.all(aenv.models.Tag)] == ["raw"]
    assert committed_rows(aenv.sync.db, "t_tags") == 0
