"""The helpers on an AsyncSession keep every promise of the sync ones, on every async driver."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, MissingGreenlet, PendingRollbackError, StatementError

from datalayer.asyncio import AsyncSession
from datalayer.errors import ConflictError, UnknownAttributeError
from tests.conftest import AsyncEnv


async def count_users(aenv: AsyncEnv) -> int:
    async with aenv.adb.Session() as other:  # a connection of its own: sees committed rows only
        return int(await other.scalar(select(func.count()).select_from(aenv.models.User)) or 0)


async def test_the_session_factory_makes_datalayers_async_session(aenv: AsyncEnv) -> None:
    async with aenv.adb.Session() as s:
        assert isinstance(s, AsyncSession)


async def test_create_flushes_and_never_commits(aenv: AsyncEnv) -> None:
    User = aenv.models.User
    async with aenv.adb.Session() as s:
        user = await s.create(User, email="a@example.com")
        assert user.id is not None  # flushed: the database gave the key
        assert await count_users(aenv) == 0
        await s.commit()
    assert await count_users(aenv) == 1


async def test_first_and_all_are_ordered_by_primary_key(aenv: AsyncEnv) -> None:
    User = aenv.models.User
    async with aenv.adb.Session() as s:
        ids = [(await s.create(User, email=f"{n}@example.com", name="same")).id for n in range(3)]
        first = await s.first(User, name="same")
        assert first is not None and first.id == min(ids)
        assert [u.id for u in await s.all(User, name="same")] == sorted(ids)
        assert await s.first(User, name="nobody") is None


async def test_first_or_create_returns_the_existing_row_or_creates_one(aenv: AsyncEnv) -> None:
    User = aenv.models.User
    async with aenv.adb.Session() as s:
        made = await s.first_or_create(User, email="a@example.com")
        again = await s.first_or_create(User, email="a@example.com")
        assert again is made
        await s.commit()
    assert await count_users(aenv) == 1


async def test_create_or_first_keeps_the_callers_pending_and_flushed_work(aenv: AsyncEnv) -> None:
    User, Order = aenv.models.User, aenv.models.Order
    async with aenv.adb.Session() as s:
        owner = await s.create(User, email="owner@example.com")
        await s.commit()
    async with aenv.adb.Session() as s:
        flushed = await s.create(Order, user_id=owner.id, item="flushed")
        pending = Order(user_id=owner.id, item="pending")
        s.add(pending)
        existing = await s.create_or_first(User, email="owner@example.com")
        assert existing is not None and existing.id == owner.id
        await s.commit()
        items = sorted(o.item for o in await s.all(Order))
    assert items == ["flushed", "pending"]
    assert flushed.id is not None


async def test_create_or_first_lets_a_foreign_key_failure_propagate(aenv: AsyncEnv) -> None:
    async with aenv.adb.Session() as s:
        with pytest.raises(IntegrityError) as raised:  # a foreign key violation is not "exists"
            await s.create_or_first(aenv.models.Order, user_id=999_999, item="orphan")
        assert not isinstance(raised.value, ConflictError)
        assert await s.all(aenv.models.Order) == []


async def test_create_or_first_lets_a_not_null_failure_propagate_and_keeps_earlier_work(
    aenv: AsyncEnv,
) -> None:
    User, Order = aenv.models.User, aenv.models.Order
    async with aenv.adb.Session() as s:
        user = await s.create(User, email="kept@example.com")
        with pytest.raises(IntegrityError):
            await s.create_or_first(Order, user_id=user.id, item=None)
        await s.commit()
    assert await count_users(aenv) == 1


async def test_unknown_attributes_are_named_with_the_model(aenv: AsyncEnv) -> None:
    async with aenv.adb.Session() as s:
        with pytest.raises(UnknownAttributeError, match=r"User.*emial|emial.*User"):
            await s.first(aenv.models.User, emial="a@example.com")


async def test_create_many_inserts_every_row(aenv: AsyncEnv) -> None:
    User = aenv.models.User
    async with aenv.adb.Session() as s:
        users = await s.create_many(User, [{"email": f"{n}@example.com"} for n in range(5)])
        assert [u.email for u in users] == [f"{n}@example.com" for n in range(5)]
        await s.commit()
    assert await count_users(aenv) == 5


async def test_a_savepoint_rollback_undoes_only_its_part(aenv: AsyncEnv) -> None:
    User = aenv.models.User
    async with aenv.adb.Session() as s:
        await s.create(User, email="kept@example.com")
        async with s.begin_nested() as savepoint:
            await s.create(User, email="undone@example.com")
            await savepoint.rollback()
        await s.commit()
    async with aenv.adb.Session() as s:
        assert [u.email for u in await s.all(User)] == ["kept@example.com"]


async def test_create_or_first_takes_the_one_round_trip_path_on_aiosqlite_and_aiomysql(
    aenv: AsyncEnv,
) -> None:
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.split()[0].upper())

    engine = aenv.adb.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        async with aenv.adb.Session() as s:
            await s.create_or_first(aenv.models.User, email="a@example.com")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    native = aenv.backend in ("sqlite", "mariadb") and aenv.adb.engine.get_execution_options().get(
        "datalayer_native_inserts", True
    )
    assert ("SAVEPOINT" not in statements) == native, statements


# Servers only: SQLAlchemy's aiosqlite adapter makes the cursor's coroutine before it finds no greenlet
# and drops it, un-awaited, which the interpreter reports when it is collected (at exit, here).
@pytest.mark.only("postgresql", "mariadb")
async def test_a_lazy_load_outside_the_bridge_fails_with_sqlalchemys_clear_error(aenv: AsyncEnv) -> None:
    User = aenv.models.User
    async with aenv.adb.Session() as s:
        await s.create(User, email="a@example.com")
        await s.commit()
    async with aenv.adb.Session() as s:
        user = await s.first(User, email="a@example.com")
        assert user is not None
        no_greenlet = (MissingGreenlet, StatementError)
        with pytest.raises(no_greenlet, match="greenlet_spawn has not been called"):
            user.orders  # noqa: B018 (a lazy load: I/O outside an await)
        loaded = await s.run_sync(lambda sync: sync.get_one(User, user.id).orders)  # inside the bridge
        assert loaded == []


async def test_create_many_without_returning_inserts_every_row_and_returns_their_number(
    aenv: AsyncEnv,
) -> None:
    User = aenv.models.User
    async with aenv.adb.Session() as s:
        rows = [{"email": f"{n}@example.com"} for n in range(1200)]
        assert await s.create_many(User, rows, returning=False) == 1200
        assert len(s.sync_session.identity_map) == 0
        await s.commit()
    assert await count_users(aenv) == 1200


async def test_a_conflict_in_create_many_without_returning_leaves_the_session_to_be_rolled_back(
    aenv: AsyncEnv,
) -> None:
    User = aenv.models.User
    async with aenv.adb.Session() as s:
        await s.create(User, email="kept@example.com")
        await s.commit()
        with pytest.raises(ConflictError):
            await s.create_many(
                User, [{"email": "new@example.com"}, {"email": "kept@example.com"}], returning=False
            )
        with pytest.raises(PendingRollbackError):
            await s.execute(select(1))
        await s.rollback()
    assert await count_users(aenv) == 1
