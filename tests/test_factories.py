"""ModelFactory: factory-boy factories that write to the running test's session."""

from __future__ import annotations

import pytest

from datalayer import Database, Session
from datalayer.errors import UsageError
from repositories import Repository
from tests.conftest import Env


def test_a_factory_adds_and_flushes_into_the_tests_session(env: Env, db_session: Session) -> None:
    user = env.factories.User()
    assert user.id is not None  # flushed
    assert user in db_session
    assert db_session.get(env.models.User, user.id) is user


def test_a_factory_used_outside_a_test_session_says_which_fixture_to_request(env: Env) -> None:
    with pytest.raises(UsageError, match="request the db_session fixture"):
        env.factories.User()


def test_sub_factories_create_their_parents_in_the_same_session(env: Env, db_session: Session) -> None:
    order = env.factories.Order()
    assert order.user in db_session and order.user.id == order.user_id
    assert Repository(db_session, env.models.User).count() == 1


def test_related_factories_create_the_children(env: Env, db_session: Session) -> None:
    user = env.factories.UserWithOrders()
    assert [order.user_id for order in Repository(db_session, env.models.Order).all()] == [user.id, user.id]


def test_post_generation_changes_are_flushed(env: Env, datalayer_db: Database, db_session: Session) -> None:
    user = env.factories.User(nickname="ada")
    assert user.name == "ADA"
    with datalayer_db.Session() as other:  # another session on the test's connection
        assert other.get(env.models.User, user.id).name == "ADA"


def test_create_batch_creates_every_object(env: Env, db_session: Session) -> None:
    users = env.factories.User.create_batch(5)
    assert len({user.id for user in users}) == 5
    assert Repository(db_session, env.models.User).count() == 5


def test_build_touches_no_session(env: Env, db_session: Session) -> None:
    user = env.factories.User.build()
    assert user.id is None and user not in db_session


def test_get_or_create_reuses_the_row_and_keeps_the_sessions_other_work(
    env: Env, db_session: Session
) -> None:
    user = env.factories.User()
    first = env.factories.Tag(label="python")
    again = env.factories.Tag(label="python")
    assert again is first
    assert Repository(db_session, env.models.Tag).count() == 1
    assert user in db_session and Repository(db_session, env.models.User).count() == 1


def test_factories_commit_under_committing_db(env: Env, committing_db: Database) -> None:
    user = env.factories.User()
    with committing_db.engine.connect() as connection:  # a connection of its own sees it
        assert (
            connection.execute(
                committing_db.select(env.models.User.id).where(env.models.User.id == user.id)
            ).scalar_one()
            == user.id
        )


def test_factories_work_with_pytest_factoryboy_register(pytester: pytest.Pytester, env: Env) -> None:
    pytester.makepyfile(
        app=f"""
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column
from datalayer import Database

db = Database({env.url!r})

class Member(db.Model):
    __tablename__ = "pt_members"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100), unique=True)
"""
    )
    pytester.makeconftest(
        """
import factory
from pytest_factoryboy import register
from datalayer.testing import ModelFactory
from app import Member

@register
class MemberFactory(ModelFactory):
    class Meta:
        model = Member
    email = factory.Sequence(lambda n: f"member{n}@example.org")
"""
    )
    pytester.makeini("[pytest]\ndatalayer_database = app:db\n")
    pytester.makepyfile(
        test_members="""
from app import Member

def test_member_fixture(member, db_session, assert_queries):
    assert member.id is not None
    with assert_queries(1):
        assert db_session.first(Member, email=member.email) is member

def test_nothing_left_behind(db_session, member_factory):
    member_factory.create_batch(2)
    assert len(db_session.all(Member)) == 2
"""
    )
    try:
        result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
        result.assert_outcomes(passed=2)
    finally:
        with env.db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS pt_members")
