"""Repository[M]: the helpers for one model, on any session."""

from __future__ import annotations

import pytest
from sqlalchemy import orm
from sqlalchemy.exc import IntegrityError

from datalayer import UnitOfWork
from datalayer.errors import ConflictError, NotFoundError, UnknownAttributeError, UsageError
from repositories import Repository
from tests.conftest import Env


def user_repository(env: Env) -> type[Repository]:
    User = env.models.User

    class UserRepository(Repository[User]):  # type: ignore[valid-type]
        def by_domain(self, domain: str) -> list[object]:
            return self.scalars(self.select().where(User.email.endswith(domain)).order_by(User.email))

    return UserRepository


def test_the_model_comes_from_the_type_argument(env: Env) -> None:
    UserRepository = user_repository(env)

    class AdminRepository(UserRepository):  # type: ignore[misc, valid-type]
        """A subclass of a subclass: the model is inherited."""

    with env.db.Session() as dbs:
        assert UserRepository(dbs).model is env.models.User
        assert AdminRepository(dbs).model is env.models.User
        assert Repository(dbs, env.models.Order).model is env.models.Order


def test_helpers_behave_as_on_the_session(env: Env) -> None:
    with env.db.Session() as dbs:
        users = user_repository(env)(dbs)
        created = users.create(email="a@x.org", name="A")
        assert users.first(email="a@x.org") is created
        assert users.first_or_create(email="a@x.org") is created
        assert users.create_or_first(email="a@x.org", name="other") is created
        second = users.first_or_create(email="b@x.org")
        assert users.all() == [created, second]
        assert users.all(name="A") == [created]


def test_get_returns_none_and_get_one_raises_not_found(env: Env) -> None:
    with env.db.Session() as dbs:
        users = user_repository(env)(dbs)
        user = users.create(email="a@x.org")
        assert users.get(user.id) is user
        assert users.get(-1) is None
        assert users.get_one(user.id) is user
        with pytest.raises(NotFoundError, match="no User with primary key -1") as raised:
            users.get_one(-1)
        assert isinstance(raised.value, LookupError)


def test_count_and_exists_filter_by_attributes(env: Env) -> None:
    with env.db.Session() as dbs:
        users = user_repository(env)(dbs)
        assert users.count() == 0 and not users.exists()
        users.create(email="a@x.org", name="A")
        users.create(email="b@x.org", name="B")
        users.create(email="c@x.org", name="B")
        assert users.count() == 3
        assert users.count(name="B") == 2
        assert users.exists(email="a@x.org")
        assert not users.exists(email="z@x.org")


def test_add_and_delete_flush_but_never_commit(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        users = user_repository(env)(dbs)
        added = users.add(User(email="a@x.org"))
        assert added.id is not None
        dbs.commit()
        users.delete(added)
        assert users.count() == 0  # flushed: the delete is visible to queries
        dbs.rollback()
        assert users.count() == 1


def test_select_and_scalars_run_custom_queries(env: Env) -> None:
    with env.db.Session() as dbs:
        users = user_repository(env)(dbs)
        for email in ["b@one.org", "a@one.org", "c@two.org"]:
            users.create(email=email)
        assert [u.email for u in users.by_domain("@one.org")] == ["a@one.org", "b@one.org"]


def test_a_repository_works_on_the_scoped_session_and_on_a_plain_sqlalchemy_session(env: Env) -> None:
    UserRepository = user_repository(env)
    on_scoped = UserRepository(env.db.s)
    created = on_scoped.create(email="scoped@x.org")
    env.db.s.commit()
    with orm.Session(env.db.engine) as plain:
        found = UserRepository(plain).create_or_first(email="scoped@x.org")
        assert found.id == created.id


def test_attrs_domain_classes_mapped_imperatively_work_like_models(env: Env) -> None:
    Tag = env.models.Tag
    with env.db.Session() as dbs:
        tags = Repository(dbs, Tag)
        python = tags.create(label="python")
        assert isinstance(python, Tag) and python.id is not None
        assert tags.create_or_first(label="python") is python
        assert tags.first_or_create(label="sql").label == "sql"
        assert [t.label for t in dbs.all(Tag)] == ["python", "sql"]
        assert dbs.first(Tag, label="python") is python
        dbs.commit()
    with env.db.Session() as dbs:
        assert Repository(dbs, Tag).count() == 2


def test_attrs_init_arguments_without_a_column_are_accepted_to_build_but_not_to_filter(env: Env) -> None:
    Tag = env.models.Tag
    with env.db.Session() as dbs:
        tag = dbs.create(Tag, label="python", note="not stored")
        assert tag.note == "not stored"
        assert dbs.create_or_first(Tag, label="python", note="ignored") is tag
        with pytest.raises(UnknownAttributeError, match="Tag has no mapped attribute 'note'"):
            dbs.first(Tag, note="not stored")


def test_repr_names_the_repository_and_model(env: Env) -> None:
    with env.db.Session() as dbs:
        assert repr(user_repository(env)(dbs)) == "UserRepository(model=User)"


def test_get_takes_the_primary_key_by_name_too(env: Env) -> None:
    with env.db.Session() as dbs:
        users = Repository(dbs, env.models.User)
        user = users.create(email="a@x.org")
        assert users.get(id=user.id) is user
        assert users.get_one(id=user.id) is user
        assert users.get(id=user.id + 1) is None
        seats = Repository(dbs, env.models.Seat)
        seat = seats.create(row="A", number=1)
        assert seats.get(row="A", number=1) is seat is seats.get(("A", 1))
        with pytest.raises(UsageError, match=r"takes User's primary key \(id=\), not email"):
            users.get(email="a@x.org")
        with pytest.raises(UsageError, match="either positionally or by name"):
            users.get(user.id, id=user.id)
        with pytest.raises(UsageError, match="needs User's primary key"):
            users.get()
        with pytest.raises(NotFoundError, match="'id': 0"):
            users.get_one(id=0)


def test_a_plain_flush_that_breaks_a_unique_key_leaves_the_unit_as_conflict_error(env: Env) -> None:
    with UnitOfWork(env.db) as uow:
        uow.repository(env.models.User).create(email="a@x.org")
    with pytest.raises(ConflictError) as raised, UnitOfWork(env.db) as uow:
        uow.session.add(env.models.User(email="a@x.org"))
        uow.session.flush()  # SQLAlchemy's own flush: its IntegrityError is translated at the boundary
    assert isinstance(raised.value.__cause__, IntegrityError)
