"""AsyncRepository: every Repository method, awaitable, over an AsyncSession; stream is an async iterator."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import pytest

from datalayer.asyncio import AsyncUnitOfWork
from datalayer.errors import NotFoundError, StreamInterruptedError, UsageError
from repositories import AsyncRepository
from tests.conftest import AsyncEnv


async def seed(aenv: AsyncEnv, count: int) -> list[int]:
    async with AsyncUnitOfWork(aenv.adb) as uow:
        users = await uow.repository(aenv.models.User).create_many(
            [{"email": f"{n:02}@x.org", "name": "seeded"} for n in range(count)]
        )
        return [user.id for user in users]


async def test_reads_and_writes_of_one_model(aenv: AsyncEnv) -> None:
    ids = await seed(aenv, 3)
    async with AsyncUnitOfWork(aenv.adb) as uow:
        users = uow.repository(aenv.models.User)
        assert (await users.get(ids[0])).email == "00@x.org"  # type: ignore[union-attr]
        assert (await users.get_one(id=ids[1])).email == "01@x.org"
        with pytest.raises(NotFoundError):
            await users.get_one(987654)
        assert await users.count(name="seeded") == 3
        assert await users.exists(email="02@x.org")
        assert not await users.exists(email="nobody@x.org")
        added = await users.add(aenv.models.User(email="added@x.org"))
        assert added.id is not None
        await users.delete(await users.get_one(ids[2]))
        assert [
            u.email for u in await users.scalars(users.select().where(aenv.models.User.name == "seeded"))
        ] == [
            "00@x.org",
            "01@x.org",
        ]
    async with AsyncUnitOfWork(aenv.adb) as uow:
        assert await uow.repository(aenv.models.User).count() == 3


async def test_stream_yields_every_row_in_key_order_batch_by_batch(aenv: AsyncEnv) -> None:
    ids = await seed(aenv, 7)
    async with AsyncUnitOfWork(aenv.adb) as uow:
        streamed = [user.id async for user in uow.repository(aenv.models.User).stream(batch_size=3)]
    assert streamed == sorted(ids)


async def test_leaving_a_stream_early_leaves_the_unit_usable(aenv: AsyncEnv) -> None:
    await seed(aenv, 7)
    async with AsyncUnitOfWork(aenv.adb) as uow:
        users = uow.repository(aenv.models.User)
        stream = users.stream(batch_size=2)
        async for _user in stream:
            break
        await stream.aclose()  # type: ignore[attr-defined]
        assert await users.count() == 7
        await users.create(email="after@x.org")
    async with AsyncUnitOfWork(aenv.adb) as uow:
        assert await uow.repository(aenv.models.User).count() == 8


async def test_a_stream_whose_transaction_ends_says_so_instead_of_ending_quietly(aenv: AsyncEnv) -> None:
    await seed(aenv, 5)
    # aiomysql, as PyMySQL, warns that the commit drops the open server-side cursor's rows.
    dropped: AbstractContextManager[object] = nullcontext()
    if aenv.backend == "mariadb":
        dropped = pytest.warns(UserWarning, match="unbuffered")
    with pytest.raises(StreamInterruptedError, match="after 1 rows"):
        async with AsyncUnitOfWork(aenv.adb) as uow:
            async for _user in uow.repository(aenv.models.User).stream(batch_size=1):
                with dropped:
                    await uow.commit()


async def test_stream_checks_its_arguments_at_once(aenv: AsyncEnv) -> None:
    async with AsyncUnitOfWork(aenv.adb) as uow:
        with pytest.raises(UsageError):
            uow.repository(aenv.models.User).stream(batch_size=0)


async def test_pages_follow_the_key(aenv: AsyncEnv) -> None:
    ids = sorted(await seed(aenv, 5))
    async with AsyncUnitOfWork(aenv.adb) as uow:
        users = uow.repository(aenv.models.User)
        first = await users.page(2)
        second = await users.page(2, after=first[-1].id)
        assert [u.id for u in first + second] == ids[:4]


async def test_the_model_comes_from_the_type_argument_or_is_asked_for(aenv: AsyncEnv) -> None:
    User = aenv.models.User

    class Users(AsyncRepository):  # type: ignore[type-arg]
        """A subclass that names no model, and is given none."""

    async with aenv.adb.Session() as s:
        assert AsyncRepository(s, User).model is User
        with pytest.raises(UsageError, match="Users has no model: subclass AsyncRepository"):
            Users(s)


async def test_the_repository_loads_rows_without_returning_them(aenv: AsyncEnv) -> None:
    async with AsyncUnitOfWork(aenv.adb) as uow:
        rows = [{"email": f"{n}@x.org"} for n in range(40)]
        assert await uow.repository(aenv.models.User).create_many(rows, returning=False) == 40
    async with AsyncUnitOfWork(aenv.adb) as uow:
        assert await uow.repository(aenv.models.User).count() == 40
