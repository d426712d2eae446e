"""UnitOfWork: commit on success, rollback on failure, the session always closed.

No ``from __future__ import annotations`` here: the units below are declared inside
functions, and string annotations could not see those functions' local classes.
"""

import pytest
from sqlalchemy.exc import IntegrityError, InvalidRequestError

from datalayer import UnitOfWork
from datalayer.errors import UsageError
from repositories import Repository
from tests.conftest import Env


class Boom(Exception):
    """An error of the code under test."""


def app_unit_of_work(env: Env) -> type[UnitOfWork]:
    User, Order = env.models.User, env.models.Order

    class UserRepository(Repository[User]):  # type: ignore[valid-type]
        """Users, with nothing but the generic methods."""

    class AppUnitOfWork(UnitOfWork):
        database = env.db
        users: UserRepository
        orders: Repository[Order]  # type: ignore[valid-type]

    return AppUnitOfWork


def committed_emails(env: Env) -> list[str]:
    with env.db.Session() as dbs:
        return [u.email for u in dbs.all(env.models.User)]


def test_commits_on_clean_exit(env: Env) -> None:
    with app_unit_of_work(env)() as uow:
        uow.users.create(email="a@x.org")  # type: ignore[attr-defined]
    assert committed_emails(env) == ["a@x.org"]


def test_rolls_back_and_propagates_on_exception(env: Env) -> None:
    with pytest.raises(Boom), app_unit_of_work(env)() as uow:
        uow.users.create(email="a@x.org")  # type: ignore[attr-defined]
        raise Boom
    assert committed_emails(env) == []


def test_returns_its_connection_to_the_pool_on_success_and_on_failure(env: Env) -> None:
    pool = env.db.engine.pool
    with app_unit_of_work(env)() as uow:
        uow.users.create(email="a@x.org")  # type: ignore[attr-defined]
        assert pool.checkedout() == 1  # type: ignore[attr-defined]
    assert pool.checkedout() == 0  # type: ignore[attr-defined]
    with pytest.raises(Boom), app_unit_of_work(env)() as uow:
        uow.users.create(email="b@x.org")  # type: ignore[attr-defined]
        raise Boom
    assert pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_failed_commit_propagates_persists_nothing_and_closes_the_session(env: Env) -> None:
    pool = env.db.engine.pool
    with pytest.raises(IntegrityError), app_unit_of_work(env)() as uow:
        uow.users.create(email="a@x.org")  # type: ignore[attr-defined]
        no_user = env.models.Order(user_id=None, item="no user")
        uow.session.add(no_user)  # flushed by the commit: NOT NULL fails
    assert committed_emails(env) == []
    assert pool.checkedout() == 0  # type: ignore[attr-defined]


def test_declared_repositories_share_the_units_session(env: Env) -> None:
    with app_unit_of_work(env)() as uow:
        assert uow.users.session is uow.session  # type: ignore[attr-defined]
        assert uow.orders.session is uow.session  # type: ignore[attr-defined]
        assert uow.orders.model is env.models.Order  # type: ignore[attr-defined]
        user = uow.users.create(email="a@x.org")  # type: ignore[attr-defined]
        uow.orders.create(user_id=user.id, item="book")  # type: ignore[attr-defined]
    with env.db.Session() as dbs:
        assert [o.item for o in dbs.all(env.models.Order)] == ["book"]


def test_repository_gives_a_repository_of_any_model_on_the_units_session(env: Env) -> None:
    with UnitOfWork(env.db) as uow:
        users = uow.repository(env.models.User)
        assert users.session is uow.session and users.model is env.models.User
        users.create(email="a@x.org")
    assert committed_emails(env) == ["a@x.org"]


def test_commit_and_rollback_work_mid_block(env: Env) -> None:
    with pytest.raises(Boom), UnitOfWork(env.db) as uow:
        users = uow.repository(env.models.User)
        users.create(email="kept@x.org")
        uow.commit()
        users.create(email="undone@x.org")
        uow.rollback()
        users.create(email="lost@x.org")
        raise Boom
    assert committed_emails(env) == ["kept@x.org"]


def test_objects_stay_readable_after_the_block(env: Env) -> None:
    with UnitOfWork(env.db) as uow:
        user = uow.repository(env.models.User).create(email="a@x.org", name="A")
    assert (user.email, user.name) == ("a@x.org", "A")
    assert user.id is not None


def test_the_session_is_closed_for_good_after_the_block(env: Env) -> None:
    unit = app_unit_of_work(env)()
    with unit as uow:
        session = uow.session
        users = uow.users  # type: ignore[attr-defined]
    with pytest.raises(UsageError, match="is not active"):
        _ = unit.session
    with pytest.raises(AttributeError, match="exists only inside the `with` block"):
        _ = unit.users  # type: ignore[attr-defined]
    with pytest.raises(InvalidRequestError, match="permanently closed"):
        users.create(email="late@x.org")
    assert session.get_transaction() is None
    assert committed_emails(env) == []


def test_a_unit_without_a_database_says_how_to_give_one() -> None:
    with pytest.raises(UsageError, match="has no database"):
        UnitOfWork()


def test_declarations_are_inherited_and_may_be_overridden(env: Env) -> None:
    Base = app_unit_of_work(env)
    User = env.models.User

    class SpecialUsers(Repository[User]):  # type: ignore[valid-type]
        """Another repository class for the same model."""

    class Child(Base):  # type: ignore[misc, valid-type]
        users: SpecialUsers

    with Child() as uow:
        assert type(uow.users) is SpecialUsers
        assert uow.orders.model is env.models.Order


def test_unresolvable_annotations_get_a_clear_error(env: Env) -> None:
    class Broken(UnitOfWork):
        database = env.db
        users: "NoSuchRepository"  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(UsageError, match="cannot resolve the annotations of Broken"), Broken():
        raise AssertionError("the block should not have been entered")


def test_a_declared_repository_without_a_model_fails_on_entry_with_a_clear_error(env: Env) -> None:
    class Vague(UnitOfWork):
        database = env.db
        things: Repository  # type: ignore[type-arg]

    with pytest.raises(UsageError, match=r"Repository has no model"), Vague():
        raise AssertionError("the block should not have been entered")
    assert env.db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
