"""The async fakes: awaitable fronts over the one fake store, its unit block and its repository.

No ``from __future__ import annotations`` here: a unit below is declared inside a
test, and string annotations could not see that function's local classes.
"""

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pytest

from datalayer import Database
from datalayer.errors import ConflictError, StreamInterruptedError, UnknownAttributeError, UsageError
from datalayer.testing import (
    FakeAsyncRepository,
    FakeAsyncUnitOfWork,
    FakeDatabase,
    FakeRepository,
    FakeUnitOfWork,
)
from repositories import AsyncRepository, Repository
from tests.models import Models, define_models


class Boom(Exception):
    """An error of the code under test."""


@pytest.fixture(scope="module")
def m() -> Iterator[Models]:
    db = Database("sqlite://")  # only for its registry: the fakes never connect
    yield define_models(db)
    db.dispose()


async def register(uow: Any, email: str) -> Any:
    """An async service under test: it takes any async unit of work with a ``users`` repository."""
    async with uow:
        return await uow.users.first_or_create(email=email)


async def test_an_async_service_is_tested_with_the_async_fake(m: Models) -> None:
    database = FakeDatabase()
    uow = FakeAsyncUnitOfWork(database, users=m.User)
    user = await register(uow, "a@x.org")
    assert uow.committed and not uow.rolled_back and uow.database is database
    assert user.email == "a@x.org" and [row["email"] for row in database.rows(m.User)] == ["a@x.org"]


async def test_the_sync_and_async_fakes_share_one_store(m: Models) -> None:
    database = FakeDatabase()
    async with FakeAsyncUnitOfWork(database, users=m.User) as uow:
        await uow.users.create(email="async@x.org")
    with FakeUnitOfWork(database, users=m.User) as sync_uow:
        assert [u.email for u in sync_uow.users.all()] == ["async@x.org"]
        sync_uow.users.create(email="sync@x.org")
    async with FakeAsyncUnitOfWork(database) as uow:
        assert await uow.repository(m.User).count() == 2


async def test_declared_repositories_and_custom_queries(m: Models) -> None:
    User, Tag = m.User, m.Tag

    class FakeUsers(FakeAsyncRepository[User]):  # type: ignore[valid-type]
        async def by_domain(self, domain: str) -> list[Any]:
            return [u for u in await self.all() if u.email.endswith(domain)]

    class FakeShop(FakeAsyncUnitOfWork):
        users: FakeUsers
        tags: FakeAsyncRepository[Tag]  # type: ignore[valid-type]

    shop = FakeShop()
    async with shop as uow:
        assert type(uow.users) is FakeUsers and uow.users.model is m.User and uow.tags.model is m.Tag
        assert uow.users.session is uow.tags.session is uow.session is uow.repository(m.User).session
        for email in ["a@one.org", "b@two.org"]:
            await uow.users.create(email=email)
        assert [u.email for u in await uow.users.by_domain("@one.org")] == ["a@one.org"]
    with pytest.raises(AttributeError, match="exists only inside the `async with` block"):
        _ = shop.users
    with pytest.raises(AttributeError, match="has no attribute 'orders'"):
        _ = shop.orders
    with pytest.raises(UsageError, match="FakeShop is not active: use it as `async with"):
        _ = shop.session


async def test_commits_and_rollbacks_are_counted_and_an_error_rolls_back(m: Models) -> None:
    database = FakeDatabase()
    uow = FakeAsyncUnitOfWork(database, users=m.User)
    with pytest.raises(Boom):
        async with uow:
            await uow.users.create(email="kept@x.org")
            await uow.commit()
            await uow.users.create(email="undone@x.org")
            await uow.rollback()
            await uow.users.create(email="also-undone@x.org")
            raise Boom
    assert (uow.commits, uow.rollbacks, uow.committed, uow.rolled_back) == (1, 2, True, True)
    assert [row["email"] for row in database.rows(m.User)] == ["kept@x.org"]


async def test_a_cancelled_task_rolls_its_unit_back(m: Models) -> None:
    database = FakeDatabase()
    entered = asyncio.Event()

    async def request() -> None:
        async with FakeAsyncUnitOfWork(database, users=m.User) as uow:
            await uow.users.create(email="a@x.org")
            entered.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(request())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert database.rows(m.User) == []


async def test_a_unit_belongs_to_the_task_that_entered_it(m: Models) -> None:
    uow = FakeAsyncUnitOfWork(users=m.User)
    async with uow:
        with pytest.raises(UsageError, match="active in another task"):
            await asyncio.create_task(uow.__aenter__())


async def test_a_commit_conflict_raises_and_the_unit_rolls_back(m: Models) -> None:
    database = FakeDatabase()
    async with FakeAsyncUnitOfWork(database, users=m.User) as uow:
        await uow.users.create(email="a@x.org")
    with pytest.raises(ConflictError):
        async with FakeAsyncUnitOfWork(database, users=m.User) as uow:
            await uow.users.create(email="a@x.org")
    assert uow.rolled_back and len(database.rows(m.User)) == 1


async def test_the_stream_is_an_async_iterator_that_a_commit_interrupts(m: Models) -> None:
    async with FakeAsyncUnitOfWork(users=m.User) as uow:
        await uow.users.create_many([{"email": f"{n}@x.org"} for n in range(3)])
        assert [u.email async for u in uow.users.stream(batch_size=2)] == ["0@x.org", "1@x.org", "2@x.org"]
        with pytest.raises(UnknownAttributeError):
            uow.users.stream(emial="x")  # checked when called
        with pytest.raises(StreamInterruptedError):
            async for _ in uow.users.stream():
                await uow.commit()
        assert [u.email for u in await uow.users.page(2, after=1)] == ["1@x.org", "2@x.org"]


def test_keyword_repositories_are_checked_when_the_unit_is_made(m: Models) -> None:
    with pytest.raises(UsageError, match="is a real repository"):
        FakeAsyncUnitOfWork(users=AsyncRepository)
    with pytest.raises(UsageError, match="is a real repository"):
        FakeAsyncUnitOfWork(users=Repository)
    with pytest.raises(UsageError, match="is not a FakeAsyncRepository"):
        FakeAsyncUnitOfWork(users=FakeRepository)
    with pytest.raises(UsageError, match="is not a FakeRepository"):
        FakeUnitOfWork(users=FakeAsyncRepository)
    with pytest.raises(UsageError, match="'commit' is a FakeAsyncUnitOfWork attribute"):
        FakeAsyncUnitOfWork(commit=m.User)


@pytest.mark.parametrize(
    "name",
    sorted(n for n in vars(AsyncRepository) if not n.startswith("_") and n not in ("select", "scalars")),
)
def test_the_async_fake_repository_has_every_method_of_the_real_one(name: str) -> None:
    real, fake = getattr(AsyncRepository, name), getattr(FakeAsyncRepository, name)
    assert inspect.iscoroutinefunction(fake) == inspect.iscoroutinefunction(real)
    assert list(inspect.signature(fake).parameters) == list(inspect.signature(real).parameters)
    assert inspect.signature(fake).return_annotation == inspect.signature(real).return_annotation


async def test_the_fake_async_create_many_without_returning_counts_the_rows(m: Models) -> None:
    async with FakeAsyncUnitOfWork(users=m.User) as uow:
        assert await uow.users.create_many([{"email": "a@x.org"}, {"email": "b@x.org"}], returning=False) == 2
        assert await uow.users.count() == 2
