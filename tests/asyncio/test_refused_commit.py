"""A COMMIT the database refuses leaves the pooled connection usable, on every async driver.

A deferred foreign key is checked at COMMIT: the unit's commit fails. The connection then goes back to
the pool, and the next unit of work that gets it must start a transaction of its own (SQLite leaves a
refused COMMIT's transaction open; the sync Database ends it when the connection is checked in).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import ForeignKey, exc
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from datalayer.asyncio import AsyncDatabase, AsyncUnitOfWork
from tests.conftest import AsyncEnv


class Base(DeclarativeBase):
    """The models of this test alone: their tables are made and dropped around each test."""


class Owner(Base):
    __tablename__ = "refused_commit_owners"
    id: Mapped[int] = mapped_column(primary_key=True)


class Pet(Base):
    __tablename__ = "refused_commit_pets"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("refused_commit_owners.id", deferrable=True, initially="DEFERRED")
    )


@pytest.fixture
async def adb(aenv: AsyncEnv) -> AsyncIterator[AsyncDatabase]:
    """An AsyncDatabase of these models, on ``aenv``'s database and driver, with one pooled connection."""
    made = AsyncDatabase(aenv.adb.url, model_class=Base, pool_size=1, max_overflow=0)
    await made.drop_all()
    await made.create_all()
    try:
        yield made
    finally:
        await made.dispose()  # a connection left inside a transaction must not block the DROP
        await made.drop_all()
        await made.dispose()


@pytest.mark.only("sqlite", "postgresql")  # MariaDB has no deferred constraints
async def test_the_unit_after_a_refused_commit_gets_a_usable_connection(adb: AsyncDatabase) -> None:
    with pytest.raises(exc.IntegrityError):
        async with AsyncUnitOfWork(adb) as uow:
            uow.session.add(Pet(owner_id=12345))  # flushed fine: the foreign key is checked at COMMIT
    assert adb.engine.pool.checkedout() == 0  # type: ignore[attr-defined]

    async with AsyncUnitOfWork(adb) as uow:  # the same pooled connection
        owner = await uow.repository(Owner).create()
        await uow.repository(Pet).create(owner_id=owner.id)

    async with AsyncUnitOfWork(adb, read_only=True) as uow:
        assert await uow.repository(Pet).count() == 1
