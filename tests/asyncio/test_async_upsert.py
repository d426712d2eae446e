"""upsert and upsert_many awaited: the sync helpers through the bridge, on each async driver; the fake."""

from __future__ import annotations

import pytest

from datalayer.asyncio import AsyncUnitOfWork
from datalayer.errors import ConflictError, UsageError
from datalayer.testing import FakeAsyncRepository
from tests.conftest import AsyncEnv


async def test_the_async_session_upserts_one_row_and_many(aenv: AsyncEnv) -> None:
    User = aenv.models.User
    async with aenv.adb.Session() as s:
        made = await s.upsert(User, match=("email",), email="a@x.org", name="Ann")
        assert await s.upsert(User, match=("email",), email="a@x.org", name="Anne") is made
        assert made.name == "Anne"
        both = await s.upsert_many(
            User, [{"email": "b@x.org", "name": "Bob"}, {"email": "a@x.org", "name": "Annie"}], match="email"
        )
        assert both[1] is made and made.name == "Annie"
        await s.commit()
    async with aenv.adb.Session() as s:
        assert [(u.email, u.name) for u in await s.all(User)] == [("a@x.org", "Annie"), ("b@x.org", "Bob")]


async def test_the_async_repository_upserts_and_raises_on_another_key(aenv: AsyncEnv) -> None:
    Ticket = aenv.models.Ticket
    async with AsyncUnitOfWork(aenv.adb) as uow:
        tickets = uow.repository(Ticket)
        first = await tickets.upsert(match=("title",), title="first", code="A")
        [again] = await tickets.upsert_many([{"title": "first", "code": "B"}], match=("title",))
        assert again is first and first.code == "B"
    with pytest.raises(ConflictError):
        async with AsyncUnitOfWork(aenv.adb) as uow:
            await uow.repository(Ticket).upsert(match=("title",), title="second", code="B")
    async with AsyncUnitOfWork(aenv.adb) as uow:
        assert [(t.title, t.code) for t in await uow.repository(Ticket).all()] == [("first", "B")]


async def test_the_async_fake_repository_upserts_as_the_real_one() -> None:
    from datalayer import Database
    from tests.models import define_models

    db = Database("sqlite://")  # only for its registry: the fakes never connect
    users = FakeAsyncRepository(define_models(db).User)
    made = await users.upsert(match=("email",), email="a@x.org", name="Ann")
    assert await users.upsert(match="email", email="a@x.org", name="Anne") is made and made.name == "Anne"
    assert await users.upsert_many([{"email": "a@x.org", "name": "A"}], match="email") == [made]
    with pytest.raises(UsageError, match="no unique constraint"):
        await users.upsert(match=("name",), email="a@x.org", name="A")
    db.dispose()
