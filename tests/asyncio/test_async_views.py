"""Views on the asyncio API: the sync reads, through the greenlet bridge, on every async driver."""

from __future__ import annotations

from typing import Any

import pytest

from datalayer.asyncio import AsyncUnitOfWork
from datalayer.errors import NotFoundError, StreamInterruptedError, UsageError
from datalayer.testing import count_queries
from repositories import AsyncRepository
from tests._views import views_of
from tests.conftest import AsyncEnv


async def seed(aenv: AsyncEnv, count: int) -> list[int]:
    async with AsyncUnitOfWork(aenv.adb) as uow:
        users = await uow.repository(aenv.models.User).create_many(
            [{"email": f"{n:02}@x.org", "name": f"n{n % 2}"} for n in range(count)]
        )
        return [user.id for user in users]


async def test_the_async_session_reads_views_seeing_its_pending_objects(aenv: AsyncEnv) -> None:
    ids = await seed(aenv, 2)
    UserRow = views_of(aenv.models).UserRow
    async with aenv.adb.Session() as s:
        assert await s.first(UserRow, email="01@x.org") == UserRow(ids[1], "01@x.org")
        assert await s.all(UserRow, name="n0") == [UserRow(ids[0], "00@x.org")]
        assert await s.get(UserRow, ids[0]) == UserRow(ids[0], "00@x.org")
        assert await s.get(aenv.models.User, ids[0]) is not None  # a model's: SQLAlchemy's own
        s.add(aenv.models.User(email="pending@x.org"))
        found = await s.first(UserRow, email="pending@x.org")
        assert found is not None and found.id is not None
        with pytest.raises(UsageError, match="takes no options"):
            await s.get(UserRow, ids[0], with_for_update=True)


async def test_the_async_repository_of_a_view_reads_and_refuses_writes(aenv: AsyncEnv) -> None:
    ids = await seed(aenv, 5)
    UserRow = views_of(aenv.models).UserRow
    async with AsyncUnitOfWork(aenv.adb) as uow:
        rows = uow.repository(UserRow)
        assert rows.model is UserRow
        assert await rows.get(ids[0]) == UserRow(ids[0], "00@x.org")
        assert await rows.get_one(id=ids[1]) == UserRow(ids[1], "01@x.org")
        with pytest.raises(NotFoundError):
            await rows.get_one(-1)
        assert await rows.count(name="n1") == 2 and await rows.exists(email="04@x.org")
        assert await rows.page(2, after=ids[2]) == [UserRow(ids[3], "03@x.org"), UserRow(ids[4], "04@x.org")]
        assert [row async for row in rows.stream(batch_size=2)] == await rows.all()
        with pytest.raises(UsageError, match="views are read-only"):
            await rows.create(email="x@x.org")
        with pytest.raises(UsageError, match="views are read-only"):
            await rows.delete(UserRow(ids[0], "00@x.org"))


async def test_an_async_unit_builds_its_declared_view_repositories(aenv: AsyncEnv) -> None:
    (user_id,) = await seed(aenv, 1)
    UserRow = views_of(aenv.models).UserRow
    Unit: Any = type(
        "Unit",
        (AsyncUnitOfWork,),
        {"database": aenv.adb, "__annotations__": {"rows": AsyncRepository[UserRow]}},
    )
    async with Unit() as uow:
        assert await uow.rows.get(user_id) == UserRow(user_id, "00@x.org")


async def test_an_async_view_stream_says_so_when_its_transaction_ends(aenv: AsyncEnv) -> None:
    await seed(aenv, 5)
    UserRow = views_of(aenv.models).UserRow
    dropped: Any = pytest.warns(UserWarning, match="unbuffered") if aenv.backend == "mariadb" else None
    with pytest.raises(StreamInterruptedError, match="while streaming UserRow after 1 rows"):
        async with AsyncUnitOfWork(aenv.adb) as uow:
            async for _row in uow.repository(UserRow).stream(batch_size=1):
                if dropped is None:
                    await uow.commit()
                else:
                    with dropped:
                        await uow.commit()


async def test_the_query_counter_counts_async_view_reads(aenv: AsyncEnv) -> None:
    (user_id,) = await seed(aenv, 1)
    UserRow = views_of(aenv.models).UserRow
    async with aenv.adb.Session() as s:
        await s.first(UserRow)
        with count_queries(aenv.adb) as log:
            await s.get(UserRow, user_id)
            await s.all(UserRow)
        assert len(log) == 2
