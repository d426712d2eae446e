"""What only the fakes do: standalone repositories, keyword repositories, counters, the store.

What they share with the real units of work is in test_shared_behaviour.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import String
from sqlalchemy.exc import PendingRollbackError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from datalayer import Database
from datalayer.errors import ConflictError, UnmappedClassError, UsageError, ValueTooLongError
from datalayer.testing.fakes import FakeDatabase, FakeRepository, FakeUnitOfWork
from repositories import Repository
from tests.models import Models, define_models


class Boom(Exception):
    """An error of the code under test."""


@pytest.fixture(scope="module")
def m() -> Iterator[Models]:
    db = Database("sqlite://")  # only for its registry: the fakes never connect
    yield define_models(db)
    db.dispose()


def user_repository(m: Models) -> type[FakeRepository[Any]]:
    class FakeUserRepository(FakeRepository[m.User]):  # type: ignore[name-defined]
        """A custom query, written in Python where the real repository would use select()."""

        def by_domain(self, domain: str) -> list[Any]:
            return sorted((u for u in self.all() if u.email.endswith(domain)), key=lambda u: u.email)

    return FakeUserRepository


def register(uow: Any, email: str) -> Any:
    """A service under test: it takes any unit of work with a ``users`` repository."""
    with uow:
        return uow.users.first_or_create(email=email)


def test_a_service_is_tested_with_a_fake_unit_of_work(m: Models) -> None:
    database = FakeDatabase()
    uow = FakeUnitOfWork(database, users=m.User)
    user = register(uow, "a@x.org")
    assert uow.committed and not uow.rolled_back
    assert user.email == "a@x.org"
    assert [row["email"] for row in database.rows(m.User)] == ["a@x.org"]


def test_a_fake_repository_on_its_own_keeps_its_work_in_an_uncommitted_session(m: Models) -> None:
    users = FakeRepository(m.User)
    user = users.create(email="a@x.org")
    assert users.first(email="a@x.org") is user and user.id == 1
    assert users.session.database.rows(m.User) == []
    assert repr(users) == "FakeRepository(model=User)"


def test_a_custom_query_is_a_python_method_on_a_subclass_that_takes_its_model_from_the_type_argument(
    m: Models,
) -> None:
    FakeUserRepository = user_repository(m)
    assert FakeUserRepository().model is m.User
    with FakeUnitOfWork(users=FakeUserRepository) as uow:
        assert type(uow.users) is FakeUserRepository
        for email in ["b@one.org", "a@one.org", "c@two.org"]:
            uow.users.create(email=email)
        assert [u.email for u in uow.users.by_domain("@one.org")] == ["a@one.org", "b@one.org"]


def test_keyword_repositories_exist_inside_the_block_only_and_share_its_session(m: Models) -> None:
    unit = FakeUnitOfWork(users=m.User, tickets=m.Ticket)
    with unit as uow:
        assert uow.users.model is m.User and uow.tickets.model is m.Ticket
        assert uow.users.session is uow.session is uow.repository(m.Tag).session
    with pytest.raises(AttributeError, match="exists only inside the `with` block"):
        _ = unit.users
    with pytest.raises(AttributeError, match="has no attribute 'orders'"):
        _ = unit.orders
    with pytest.raises(UsageError, match="is not active"):
        _ = unit.session


def test_commits_and_rollbacks_are_counted(m: Models) -> None:
    uow = FakeUnitOfWork()
    assert (uow.commits, uow.rollbacks, uow.committed, uow.rolled_back) == (0, 0, False, False)
    with uow:
        uow.commit()
        uow.rollback()
    assert (uow.commits, uow.rollbacks) == (2, 1)
    with pytest.raises(Boom), uow:
        raise Boom
    assert (uow.commits, uow.rollbacks, uow.committed, uow.rolled_back) == (2, 2, True, True)


def test_each_unit_has_a_database_of_its_own_unless_given_one(m: Models) -> None:
    with FakeUnitOfWork(users=m.User) as first:
        first.users.create(email="a@x.org")
    with FakeUnitOfWork(users=m.User) as alone:
        assert alone.users.count() == 0
    with FakeUnitOfWork(first.database, users=m.User) as sharing:
        assert sharing.users.count() == 1


def test_keyword_repositories_are_checked_when_the_unit_is_made(m: Models) -> None:
    with pytest.raises(UnmappedClassError, match="Boom is not a mapped class"):
        FakeUnitOfWork(users=Boom)
    with pytest.raises(UsageError, match="is a real repository"):
        FakeUnitOfWork(users=Repository)
    with pytest.raises(UsageError, match="'commit' is a FakeUnitOfWork attribute"):
        FakeUnitOfWork(commit=m.User)


def test_a_repository_subclass_without_a_model_fails_on_entry(m: Models) -> None:
    class Vague(FakeRepository):  # type: ignore[type-arg]
        """A repository with no model."""

    unit = FakeUnitOfWork(things=Vague)
    for _ in range(2):  # the failed entry left the unit inactive: no "already active" the second time
        with pytest.raises(UsageError, match="Vague has no model"), unit:
            raise AssertionError("the block should not have been entered")


def test_database_rows_are_copies_and_objects_never_reach_the_store_after_their_unit(m: Models) -> None:
    database = FakeDatabase()
    with FakeUnitOfWork(database) as uow:
        user = uow.repository(m.User).create(email="a@x.org", name="A")
    user.name = "changed after the unit"
    database.rows(m.User)[0]["name"] = "changed in a copy"
    assert database.rows(m.User) == [{"id": 1, "email": "a@x.org", "name": "A", "created_at": None}]


def test_a_commit_checks_unique_keys_against_what_other_units_committed_meanwhile(m: Models) -> None:
    database = FakeDatabase()
    with pytest.raises(ConflictError), FakeUnitOfWork(database, users=m.User) as slow:
        slow.users.create(email="a@x.org", name="slow")
        with FakeUnitOfWork(database, users=m.User) as fast:
            fast.users.create(email="a@x.org", name="fast")
    assert (slow.commits, fast.commits) == (0, 1)
    assert [row["name"] for row in database.rows(m.User)] == ["fast"]


def test_a_commit_checks_unique_keys_changed_by_assignment(m: Models) -> None:
    database = FakeDatabase()
    with FakeUnitOfWork(database, users=m.User) as uow:
        uow.users.create(email="a@x.org")
        uow.users.create(email="b@x.org")
    with FakeUnitOfWork(database, users=m.User) as uow:
        uow.users.get_one(2).email = "a@x.org"
        rejected = r"unique constraint \(uq_t_users_email\) rejected the write of User on email"
        with pytest.raises(ConflictError, match=rejected):
            uow.commit()
        uow.rollback()
        assert uow.users.get_one(2).email == "b@x.org"


def test_a_commit_writes_only_the_columns_the_unit_changed(m: Models) -> None:
    database = FakeDatabase()
    with FakeUnitOfWork(database, users=m.User) as uow:
        uow.users.create(email="a@x.org", name="A")
    with FakeUnitOfWork(database, users=m.User) as one, FakeUnitOfWork(database, users=m.User) as other:
        one.users.get_one(1).name = "renamed"
        other.users.get_one(1).email = "moved@x.org"
    assert [(row["email"], row["name"]) for row in database.rows(m.User)] == [("moved@x.org", "renamed")]


def test_autoincrement_keys_move_past_explicit_keys_and_are_never_reused(m: Models) -> None:
    with FakeUnitOfWork(users=m.User) as uow:
        uow.users.create(id=10, email="ten@x.org")
        assert uow.users.create(email="a@x.org").id == 11
        uow.rollback()
        assert uow.users.create(email="b@x.org").id == 12
        assert uow.users.get((12,)).email == uow.users.get({"id": 12}).email == "b@x.org"


def test_a_primary_key_the_fake_cannot_assign_must_be_given() -> None:
    class Base(DeclarativeBase):
        """A declarative base of the application's own."""

    class Country(Base):
        __tablename__ = "countries"
        code: Mapped[str] = mapped_column(String(2), primary_key=True)

    countries = FakeRepository(Country)
    assert countries.create(code="FR").code == "FR"
    with pytest.raises(UsageError, match="Country needs its primary key given"):
        countries.create()


def test_relationships_are_not_loaded(m: Models) -> None:
    with FakeUnitOfWork(users=m.User, orders=m.Order) as uow:
        user = uow.users.create(email="a@x.org")
        uow.orders.create(user_id=user.id, item="book")
        assert user.orders == []  # the real unit would load the order


def test_a_create_many_conflict_fails_the_fake_unit_until_a_rollback_drops_every_row_of_the_call(
    m: Models,
) -> None:
    with FakeUnitOfWork(users=m.User) as uow:
        uow.users.create(email="kept@x.org")
        uow.commit()
        with pytest.raises(ConflictError, match="email"):
            uow.users.create_many([{"email": "new@x.org"}, {"email": "kept@x.org"}])
        with pytest.raises(PendingRollbackError):
            uow.users.count()
        uow.rollback()
        assert [u.email for u in uow.users.all()] == ["kept@x.org"]


def test_create_many_builds_objects_as_loaded_rows_without_calling_init(m: Models) -> None:
    tags = FakeRepository(m.Tag)
    (tag,) = tags.create_many([{"label": "python"}])
    assert isinstance(tag, m.Tag) and tag.id == 1 and tags.first(label="python") is tag
    assert not hasattr(tag, "note")  # an attrs __init__ argument the real create_many never sets either


def test_the_fake_create_many_without_returning_counts_the_rows_and_checks_them_as_the_real_one(
    m: Models,
) -> None:
    users = FakeRepository(m.User)
    assert users.create_many([{"email": "a@x.org"}, {"email": "b@x.org"}], returning=False) == 2
    assert [u.email for u in users.all()] == ["a@x.org", "b@x.org"]
    with pytest.raises(ValueTooLongError, match=r"^row 1 of create_many: User.email"):
        users.create_many([{"email": "c@x.org"}, {"email": "x" * 201}], returning=False)
