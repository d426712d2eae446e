"""Typing checks: read by mypy and pyright (strict) in CI, never run.

Each ``assert_type`` fails the type check if the library's annotations lose precision.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import assert_type

import attrs
from sqlalchemy import Select, String
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from datalayer import (
    Database,
    RepositoryContract,
    ScopedSession,
    Session,
    UnitOfWork,
    run,
    transactional,
    view,
)
from datalayer.asyncio import AsyncDatabase, AsyncSession
from datalayer.testing import (
    FakeAsyncRepository,
    FakeAsyncUnitOfWork,
    FakeDatabase,
    FakeRepository,
    FakeUnitOfWork,
    ModelFactory,
    QueryLog,
    assert_queries,
    async_isolated,
    count_queries,
    use_session,
)
from repositories import Repository


class Base(DeclarativeBase):
    """A declarative base of the application's own."""


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)


db = Database("sqlite://", model_class=Base)


class UserRepository(Repository[User]):
    def by_email(self, email: str) -> User | None:
        return self.first(email=email)


class AppUnitOfWork(UnitOfWork):
    database = db
    users: UserRepository


def check_repository(session: Session) -> None:
    users = UserRepository(session)
    assert_type(users.model, type[User])
    assert_type(users.first(email="x"), User | None)
    assert_type(users.all(email="x"), list[User])
    assert_type(users.create(email="x"), User)
    assert_type(users.first_or_create(email="x"), User)
    assert_type(users.create_or_first(email="x"), User)
    assert_type(users.get(1), User | None)
    assert_type(users.get_one(1), User)
    assert_type(users.add(User(email="x")), User)
    assert_type(users.count(), int)
    assert_type(users.exists(email="x"), bool)
    assert_type(users.select(), Select[User])
    assert_type(users.scalars(users.select().where(User.id > 1)), list[User])
    assert_type(Repository(session, User), Repository[User])
    assert_type(users.create_many([{"email": "x"}]), list[User])
    assert_type(users.stream(email="x"), Iterator[User])
    assert_type(users.page(10, after=5), list[User])
    assert_type(session.create_many(User, [{"email": "x"}]), list[User])
    assert_type(session.create_many(User, [{"email": "x"}], returning=True), list[User])
    assert_type(session.create_many(User, [{"email": "x"}], returning=False), int)
    assert_type(users.create_many([{"email": "x"}], returning=False), int)
    assert_type(users.create_many([{"email": "x"}], returning=bool(session.info)), list[User] | int)
    assert_type(users.upsert(match=("email",), email="x", name="y"), User)
    assert_type(users.upsert(match="email", email="x"), User)
    assert_type(users.upsert_many([{"email": "x"}], match=("email",)), list[User])


def check_session_helpers(session: Session, scoped: ScopedSession) -> None:
    assert_type(session.first(User, email="x"), User | None)
    assert_type(session.all(User), list[User])
    assert_type(session.create(User, email="x"), User)
    assert_type(session.first_or_create(User, email="x"), User)
    assert_type(session.create_or_first(User, email="x"), User)
    assert_type(session.get(User, 1), User | None)
    assert_type(scoped.first(User, email="x"), User | None)
    assert_type(scoped.create_or_first(User, email="x"), User)
    assert_type(session.upsert(User, match=("email",), email="x"), User)
    assert_type(session.upsert_many(User, [{"email": "x"}], match=["email"]), list[User])
    assert_type(scoped.upsert(User, match=("email",), email="x"), User)
    assert_type(scoped.upsert_many(User, [{"email": "x"}], match="email"), list[User])
    assert_type(scoped.create_many(User, [{"email": "x"}], returning=False), int)
    assert_type(db.s.all(User), list[User])


@view(User)
@attrs.frozen
class UserRow:
    """A read model of User: the view() decorator keeps the class's type."""

    id: int
    email: str


class ViewUnitOfWork(UnitOfWork):
    database = db
    rows: Repository[UserRow]


def check_views(session: Session, scoped: ScopedSession) -> None:
    assert_type(UserRow(1, "x"), UserRow)
    assert_type(session.first(UserRow, email="x"), UserRow | None)
    assert_type(session.all(UserRow, email="x"), list[UserRow])
    assert_type(session.get(UserRow, 1), UserRow | None)
    assert_type(session.get(User, 1, populate_existing=True), User | None)
    assert_type(scoped.first(UserRow), UserRow | None)
    assert_type(scoped.get(UserRow, 1), UserRow | None)
    rows = Repository(session, UserRow)
    assert_type(rows, Repository[UserRow])
    assert_type(rows.model, type[UserRow])
    assert_type(rows.first(email="x"), UserRow | None)
    assert_type(rows.get(1), UserRow | None)
    assert_type(rows.get_one(id=1), UserRow)
    assert_type(rows.all(), list[UserRow])
    assert_type(rows.page(100, after=5), list[UserRow])
    assert_type(rows.stream(batch_size=10), Iterator[UserRow])
    assert_type(rows.scalars(rows.select()), list[UserRow])
    contract: RepositoryContract[UserRow] = rows
    assert_type(contract.first(), UserRow | None)
    with ViewUnitOfWork() as uow:
        assert_type(uow.rows, Repository[UserRow])
        assert_type(uow.repository(UserRow).first(), UserRow | None)
    fake: RepositoryContract[UserRow] = FakeRepository(UserRow)
    assert_type(fake.get(1), UserRow | None)
    assert_type(FakeRepository(UserRow).page(10), list[UserRow])


def check_unit_of_work() -> None:
    with AppUnitOfWork() as uow:
        assert_type(uow, AppUnitOfWork)
        assert_type(uow.users, UserRepository)
        assert_type(uow.session, Session)
        assert_type(uow.repository(User), Repository[User])
    with db.Session() as dbs:
        assert_type(dbs, Session)
    with AppUnitOfWork(read_only=True) as reader:
        assert_type(reader.users.first(email="x"), User | None)


@transactional(AppUnitOfWork)
def register(uow: AppUnitOfWork, email: str) -> User:
    return uow.users.first_or_create(email=email)


def check_retry() -> None:
    assert_type(register("a@example.com"), User)

    def count_users(uow: AppUnitOfWork) -> int:
        return uow.users.count()

    assert_type(run(AppUnitOfWork, count_users), int)


class FakeUserRepository(FakeRepository[User]):
    def by_email(self, email: str) -> User | None:
        return self.first(email=email)


class FakeAppUnitOfWork(FakeUnitOfWork):
    users: FakeUserRepository
    accounts: FakeRepository[User]


def rename(users: RepositoryContract[User], user_id: int, email: str) -> User:
    """A service typed with the contract: it takes the real repository and the fake alike."""
    user = users.get_one(user_id)
    user.email = email
    return user


def check_contract(session: Session) -> None:
    real: RepositoryContract[User] = Repository(session, User)
    subclass: RepositoryContract[User] = UserRepository(session)
    fake: RepositoryContract[User] = FakeRepository(User)
    fake_subclass: RepositoryContract[User] = FakeUserRepository()
    for users in (real, subclass, fake, fake_subclass):
        assert_type(users.model, type[User])
        assert_type(users.get(1), User | None)
        assert_type(users.all(email="x"), list[User])
        assert_type(users.create_or_first(email="x"), User)
        assert_type(users.create_many([{"email": "x"}]), list[User])
        assert_type(users.create_many([{"email": "x"}], returning=False), int)
        assert_type(users.stream(batch_size=10, email="x"), Iterator[User])
        assert_type(users.page(10, after=5), list[User])
    assert_type(rename(Repository(session, User), 1, "x"), User)
    assert_type(rename(FakeUserRepository(), 1, "x"), User)


def check_fakes() -> None:
    users = FakeUserRepository()
    assert_type(users.model, type[User])
    assert_type(users.by_email("x"), User | None)
    assert_type(users.create_many([{"email": "x"}]), list[User])
    assert_type(users.create_many([{"email": "x"}], returning=False), int)
    assert_type(users.upsert(match=("email",), email="x"), User)
    assert_type(users.upsert_many([{"email": "x"}], match=("email",)), list[User])
    assert_type(users.stream(email="x"), Iterator[User])
    assert_type(users.page(10, after=5), list[User])
    assert_type(FakeRepository(User), FakeRepository[User])
    with FakeAppUnitOfWork(FakeDatabase()) as uow:
        assert_type(uow, FakeAppUnitOfWork)
        assert_type(uow.users, FakeUserRepository)
        assert_type(uow.accounts, FakeRepository[User])
        assert_type(uow.repository(User), FakeRepository[User])


class FakeAsyncUserRepository(FakeAsyncRepository[User]):
    async def by_email(self, email: str) -> User | None:
        return await self.first(email=email)


class FakeAsyncAppUnitOfWork(FakeAsyncUnitOfWork):
    users: FakeAsyncUserRepository
    accounts: FakeAsyncRepository[User]


async def check_async_fakes() -> None:
    users = FakeAsyncUserRepository()
    assert_type(users.model, type[User])
    assert_type(users.sync, FakeRepository[User])
    assert_type(await users.by_email("x"), User | None)
    assert_type(await users.get_one(1), User)
    assert_type(await users.create_many([{"email": "x"}]), list[User])
    assert_type(await users.create_many([{"email": "x"}], returning=False), int)
    assert_type(users.stream(email="x"), AsyncIterator[User])
    assert_type(await users.page(10, after=5), list[User])
    assert_type(FakeAsyncRepository(User), FakeAsyncRepository[User])
    async with FakeAsyncAppUnitOfWork(FakeDatabase()) as uow:
        assert_type(uow, FakeAsyncAppUnitOfWork)
        assert_type(uow.users, FakeAsyncUserRepository)
        assert_type(uow.accounts, FakeAsyncRepository[User])
        assert_type(uow.repository(User), FakeAsyncRepository[User])
        assert_type(uow.commits, int)
        await uow.commit()


class UserFactory(ModelFactory):
    class Meta:  # pyright: ignore[reportIncompatibleVariableOverride]
        model = User


async def check_async_testing_tools(adb: AsyncDatabase, session: AsyncSession) -> None:
    with count_queries(adb) as log, count_queries(adb.engine):
        assert_type(log, QueryLog)
    with assert_queries(adb, 1) as counted:
        assert_type(counted, QueryLog)
    async with async_isolated(adb) as connection:
        assert_type(connection, AsyncConnection)
    with use_session(session) as current:
        assert_type(current, AsyncSession)
    await UserFactory.create_async(email="x")
    await UserFactory.create_batch_async(2)
