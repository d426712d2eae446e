"""One behavioural suite for the fake and the real units of work and repositories.

Each test runs once on the fakes and once per real backend (SQLite, and
PostgreSQL and MariaDB when their URLs are set): whatever passes here is
behaviour a service can rely on with either.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.exc import InvalidRequestError, PendingRollbackError

from datalayer import Database, UnitOfWork
from datalayer.errors import (
    ConflictError,
    NotFoundError,
    RetryableError,
    StreamInterruptedError,
    UnknownAttributeError,
    UnmappedClassError,
    UnsupportedAttributeError,
    UsageError,
    ValueTooLongError,
)
from datalayer.testing.fakes import FakeDatabase, FakeUnitOfWork
from tests.conftest import BACKENDS, Env, _env_for_test
from tests.models import Models, define_models

Unit = UnitOfWork | FakeUnitOfWork


class Boom(Exception):
    """An error of the code under test."""


@dataclass
class Backend:
    """Where the units of one test keep their data: a real database, or one FakeDatabase."""

    name: str
    models: Models
    unit: Callable[[], Unit]  # a fresh unit of work on that data

    def committed(self, model: type[Any], attribute: str = "email") -> list[Any]:
        """``attribute`` of every committed ``model`` row, by primary key, as a new unit sees them."""
        with self.unit() as uow:
            return [getattr(obj, attribute) for obj in uow.repository(model).all()]


@pytest.fixture(scope="module")
def fake_models() -> Iterator[Models]:
    db = Database("sqlite://")  # only for its registry: the fakes never connect
    yield define_models(db)
    db.dispose()


@pytest.fixture(params=["fake", *BACKENDS], ids=lambda name: name if name == "fake" else f"real-{name}")
def backend(
    request: pytest.FixtureRequest, _env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """The fakes once, then each real backend (every row deleted after the test)."""
    if request.param == "fake":
        database = FakeDatabase()
        yield Backend("fake", request.getfixturevalue("fake_models"), lambda: FakeUnitOfWork(database))
        return
    for env in _env_for_test(request, _env_cache, tmp_path_factory):
        yield Backend(env.backend, env.models, functools.partial(UnitOfWork, env.db))


def test_create_gives_the_object_a_primary_key_and_later_queries_find_it(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        user = users.create(email="a@x.org", name="A")
        assert isinstance(user, backend.models.User) and user.id is not None
        assert users.all() == [user]
    assert backend.committed(backend.models.User) == ["a@x.org"]


def test_all_filters_by_equality_and_orders_by_primary_key(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        for id_, name in [(30, "a"), (10, "a"), (20, "b")]:
            users.create(id=id_, email=f"u{id_}@x.org", name=name)
        assert [u.id for u in users.all()] == [10, 20, 30]
        assert [u.id for u in users.all(name="a")] == [10, 30]
        assert [u.id for u in users.all(name="a", email="u30@x.org")] == [30]
        assert users.all(name="c") == []


def test_none_matches_only_none(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        users.create(email="named@x.org", name="named")
        anonymous = users.create(email="anon@x.org", name=None)
        assert users.all(name=None) == [anonymous]
        assert users.first(name=None) is anonymous


def test_first_is_the_lowest_primary_key_among_matches_whatever_the_insertion_order(backend: Backend) -> None:
    with backend.unit() as uow:
        for id_ in (7, 3, 5):
            uow.repository(backend.models.User).create(id=id_, email=f"u{id_}@x.org", name="same")
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        first = users.first(name="same")
        assert first is not None and first.id == 3
        assert users.first(name="other") is None


def test_get_returns_the_object_or_none_and_get_one_raises_not_found(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        user = users.create(email="a@x.org")
        assert users.get(user.id) is user
        assert users.get_one(user.id) is user
        assert users.get(-1) is None
        with pytest.raises(NotFoundError, match="no User with primary key -1"):
            users.get_one(-1)


def test_count_and_exists_filter_by_attributes(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        assert users.count() == 0 and not users.exists()
        users.create(email="a@x.org", name="A")
        users.create(email="b@x.org", name="B")
        users.create(email="c@x.org", name="B")
        assert (users.count(), users.count(name="B"), users.count(name="Z")) == (3, 2, 0)
        assert users.exists(email="a@x.org") and not users.exists(email="z@x.org")


def test_add_inserts_an_object_the_caller_built(backend: Backend) -> None:
    User = backend.models.User
    with backend.unit() as uow:
        users = uow.repository(User)
        user = users.add(User(email="a@x.org"))
        assert user.id is not None
        assert users.first(email="a@x.org") is user
        assert users.add(user) is user  # adding it again changes nothing
    assert backend.committed(User) == ["a@x.org"]


def test_delete_removes_the_row_from_later_queries_and_later_units(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        users.create(email="kept@x.org")
        users.create(email="gone@x.org")
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        gone = users.first(email="gone@x.org")
        users.delete(gone)
        assert users.count() == 1 and users.get(gone.id) is None
    assert backend.committed(backend.models.User) == ["kept@x.org"]


def test_delete_wants_an_object_of_the_unit_and_a_deleted_object_cannot_be_added_again(
    backend: Backend,
) -> None:
    User = backend.models.User
    with backend.unit() as uow:
        users = uow.repository(User)
        with pytest.raises(InvalidRequestError, match="is not persisted"):
            users.delete(User(email="stranger@x.org"))
        user = users.create(email="a@x.org")
        users.delete(user)
        with pytest.raises(InvalidRequestError, match="has been deleted"):
            users.add(user)
        assert users.count() == 0
    assert backend.committed(User) == []


def test_first_or_create_returns_the_existing_row_or_creates_one(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        existing = users.create(email="foo@x.org", name="Foo")
        assert users.first_or_create(email="foo@x.org") is existing
        created = users.first_or_create(email="bar@x.org", name="Bar")
        assert (created.email, created.name) == ("bar@x.org", "Bar")
        assert users.first_or_create(email="bar@x.org") is created
    assert backend.committed(backend.models.User) == ["foo@x.org", "bar@x.org"]


def test_create_or_first_creates_a_row_when_no_key_is_taken(backend: Backend) -> None:
    with backend.unit() as uow:
        user = uow.repository(backend.models.User).create_or_first(email="foo@x.org", name="Foo")
        assert (user.email, user.name) == ("foo@x.org", "Foo") and user.id is not None
    assert backend.committed(backend.models.User, "name") == ["Foo"]


def test_create_or_first_returns_the_row_holding_the_key_even_when_other_attributes_differ(
    backend: Backend,
) -> None:
    with backend.unit() as uow:
        uow.repository(backend.models.User).create(email="foo@x.org", name="Original")
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        found = users.create_or_first(email="foo@x.org", name="Other")
        assert (found.email, found.name) == ("foo@x.org", "Original")
        assert users.create_or_first(email="foo@x.org") is found
    assert backend.committed(backend.models.User, "name") == ["Original"]


def test_create_or_first_on_a_taken_key_keeps_the_units_other_work(backend: Backend) -> None:
    User, Membership = backend.models.User, backend.models.Membership
    with backend.unit() as uow:
        uow.repository(User).create(email="taken@x.org")
    with backend.unit() as uow:
        users = uow.repository(User)
        users.create(email="new@x.org")
        uow.repository(Membership).create(team="core", member="ann")
        taken = users.first(email="taken@x.org")
        taken.name = "changed before the conflict"
        assert users.create_or_first(email="taken@x.org") is taken
    assert backend.committed(User) == ["taken@x.org", "new@x.org"]
    assert backend.committed(User, "name") == ["changed before the conflict", None]
    assert backend.committed(Membership, "member") == ["ann"]


def test_create_or_first_finds_the_row_by_a_composite_unique_key(backend: Backend) -> None:
    with backend.unit() as uow:
        memberships = uow.repository(backend.models.Membership)
        owner = memberships.create(team="core", member="ann", role="owner")
        memberships.create(team="web", member="ann", role="dev")
        assert memberships.create_or_first(team="core", member="ann", role="guest") is owner
        other = memberships.create_or_first(team="core", member="bob")
        assert other.id not in (owner.id, None)


def test_create_or_first_finds_the_row_by_an_explicit_primary_key(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        existing = users.create(id=42, email="pk@x.org")
        assert users.create_or_first(id=42, email="other@x.org") is existing


def test_create_or_first_raises_a_conflict_on_a_key_it_was_not_given_and_keeps_the_unit(
    backend: Backend,
) -> None:
    with backend.unit() as uow:
        tickets = uow.repository(backend.models.Ticket)
        tickets.create(title="first")  # takes the default code "FIXED"
        with pytest.raises(ConflictError, match="do not cover") as raised:
            tickets.create_or_first(title="second")  # a new title, but the default code conflicts
        assert not isinstance(raised.value, RetryableError)
        assert [t.title for t in tickets.all()] == ["first"]
    assert backend.committed(backend.models.Ticket, "title") == ["first"]


@pytest.mark.parametrize(
    ("model", "first", "duplicate"),
    [
        ("User", {"email": "a@x.org"}, {"email": "a@x.org", "name": "other"}),
        ("Membership", {"team": "core", "member": "ann"}, {"team": "core", "member": "ann"}),
        ("User", {"id": 7, "email": "a@x.org"}, {"id": 7, "email": "b@x.org"}),
    ],
    ids=["unique column", "composite unique constraint", "primary key"],
)
def test_create_raises_a_conflict_error_on_a_duplicate_unique_key(
    backend: Backend, model: str, first: dict[str, Any], duplicate: dict[str, Any]
) -> None:
    Model = getattr(backend.models, model)
    with backend.unit() as uow:
        uow.repository(Model).create(**first)
    with pytest.raises(ConflictError), backend.unit() as uow:
        uow.repository(Model).create(**duplicate)
    assert (
        backend.committed(Model, "id") == [7] if "id" in first else len(backend.committed(Model, "id")) == 1
    )


def test_add_raises_a_conflict_error_on_a_duplicate_unique_key(backend: Backend) -> None:
    User = backend.models.User
    with pytest.raises(ConflictError), backend.unit() as uow:
        uow.repository(User).add(User(email="a@x.org"))
        uow.repository(User).add(User(email="a@x.org"))
    assert backend.committed(User) == []


def test_after_a_conflict_the_unit_must_be_rolled_back_before_it_is_used_again(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        users.create(email="a@x.org")
        uow.commit()
        with pytest.raises(ConflictError):
            users.create(email="a@x.org")
        with pytest.raises(PendingRollbackError):
            users.count()
        uow.rollback()
        assert users.count() == 1


def test_unknown_attribute_names_raise_before_anything_is_written(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        users.create(email="kept@x.org")
        for call in (users.all, users.first, users.count, users.exists, users.first_or_create):
            with pytest.raises(UnknownAttributeError, match="User has no mapped attribute 'emial'"):
                call(emial="a@x.org")
        for call in (users.create, users.create_or_first):
            with pytest.raises(UnknownAttributeError, match="did you mean 'email'"):
                call(emial="a@x.org")
    assert backend.committed(backend.models.User) == ["kept@x.org"]


def test_a_class_that_is_not_mapped_raises_unmapped_class_error(backend: Backend) -> None:
    with backend.unit() as uow, pytest.raises(UnmappedClassError, match="Boom is not a mapped class"):
        uow.repository(Boom)


def test_attrs_init_arguments_without_a_column_build_objects_but_do_not_filter(backend: Backend) -> None:
    with backend.unit() as uow:
        tags = uow.repository(backend.models.Tag)
        python = tags.create(label="python", note="not stored")
        assert isinstance(python, backend.models.Tag) and python.note == "not stored"
        assert tags.create_or_first(label="python", note="ignored") is python
        assert tags.first_or_create(label="sql").label == "sql"
        with pytest.raises(UnknownAttributeError, match="Tag has no mapped attribute 'note'"):
            tags.first(note="not stored")
    assert backend.committed(backend.models.Tag, "label") == ["python", "sql"]


def test_python_side_defaults_apply_when_the_attribute_is_not_given(backend: Backend) -> None:
    with backend.unit() as uow:
        tickets = uow.repository(backend.models.Ticket)
        assert tickets.create(title="defaulted").code == "FIXED"
        assert tickets.create(title="given", code="C-2").code == "C-2"
    assert backend.committed(backend.models.Ticket, "code") == ["FIXED", "C-2"]


def test_a_clean_exit_commits_for_the_next_unit_to_see(backend: Backend) -> None:
    with backend.unit() as uow:
        uow.repository(backend.models.User).create(email="a@x.org")
    assert backend.committed(backend.models.User) == ["a@x.org"]


def test_an_exception_rolls_back_and_propagates(backend: Backend) -> None:
    with pytest.raises(Boom), backend.unit() as uow:
        uow.repository(backend.models.User).create(email="a@x.org")
        raise Boom
    assert backend.committed(backend.models.User) == []


def test_a_commit_mid_block_is_kept_when_later_work_is_rolled_back(backend: Backend) -> None:
    with pytest.raises(Boom), backend.unit() as uow:
        users = uow.repository(backend.models.User)
        users.create(email="kept@x.org")
        uow.commit()
        users.create(email="undone@x.org")
        uow.rollback()
        assert [u.email for u in users.all()] == ["kept@x.org"]
        users.create(email="lost@x.org")
        raise Boom
    assert backend.committed(backend.models.User) == ["kept@x.org"]


def test_rollback_undoes_creates_deletes_and_attribute_changes(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        users.create(email="a@x.org", name="A")
        users.create(email="b@x.org", name="B")
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        a, b = users.all()
        a.name = "changed"
        users.delete(b)
        users.create(email="c@x.org")
        uow.rollback()
        assert a.name == "A"
        assert users.get(b.id) is b
        assert users.all() == [a, b]
    assert backend.committed(backend.models.User, "name") == ["A", "B"]


def test_attribute_changes_are_seen_by_later_queries_and_committed(backend: Backend) -> None:
    with backend.unit() as uow:
        uow.repository(backend.models.User).create(email="a@x.org", name="old")
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        user = users.first(email="a@x.org")
        user.name = "new"
        assert users.first(name="new") is user and users.first(name="old") is None
    assert backend.committed(backend.models.User, "name") == ["new"]


def test_the_same_row_is_the_same_object_within_a_unit_and_another_in_the_next(backend: Backend) -> None:
    with backend.unit() as uow:
        created = uow.repository(backend.models.User).create(email="a@x.org")
        uow.commit()
        users = uow.repository(backend.models.User)
        assert users.first() is created and users.get(created.id) is created
        assert users.all() == [created]
    with backend.unit() as uow:
        again = uow.repository(backend.models.User).first()
        assert again is not created and again.id == created.id


def test_objects_stay_readable_after_the_block(backend: Backend) -> None:
    with backend.unit() as uow:
        user = uow.repository(backend.models.User).create(email="a@x.org", name="A")
    assert (user.email, user.name) == ("a@x.org", "A") and user.id is not None


def test_uncommitted_work_is_invisible_to_another_unit(backend: Backend) -> None:
    with backend.unit() as writer:
        writer.repository(backend.models.User).create(email="pending@x.org")
        with backend.unit() as reader:
            assert reader.repository(backend.models.User).count() == 0
    assert backend.committed(backend.models.User) == ["pending@x.org"]


def test_entering_an_active_unit_again_joins_it_and_the_outermost_block_commits(backend: Backend) -> None:
    unit = backend.unit()
    with unit:
        with unit as inner:  # a service handed an open unit that opens it itself
            assert inner is unit
            unit.repository(backend.models.User).create(email="first@x.org")
        assert backend.committed(backend.models.User) == []  # the inner block does not commit
        unit.repository(backend.models.User).create(email="second@x.org")
    assert backend.committed(backend.models.User) == ["first@x.org", "second@x.org"]
    with unit:  # an ended unit can be entered again: a new session, a new transaction
        unit.repository(backend.models.User).create(email="third@x.org")
    assert backend.committed(backend.models.User) == ["first@x.org", "second@x.org", "third@x.org"]


def test_an_error_leaving_an_inner_block_rolls_the_unit_back_at_once(backend: Backend) -> None:
    unit = backend.unit()
    with unit:
        unit.repository(backend.models.User).create(email="undone@x.org")
        with pytest.raises(KeyError), unit:
            unit.repository(backend.models.User).create(email="half-done@x.org")
            raise KeyError("the service failed")
        unit.repository(backend.models.User).create(email="after@x.org")  # the caller handled it and went on
    assert backend.committed(backend.models.User) == ["after@x.org"]


def test_a_repository_used_after_its_unit_ended_raises(backend: Backend) -> None:
    unit = backend.unit()
    with unit as uow:
        users = uow.repository(backend.models.User)
    with pytest.raises(UsageError, match="is not active"):
        unit.repository(backend.models.User)
    with pytest.raises(InvalidRequestError, match="permanently closed"):
        users.create(email="late@x.org")
    assert backend.committed(backend.models.User) == []


# Aggregates: object graphs through relationships (User.orders and Order.user, Account.owner).


def test_a_child_appended_to_its_parent_in_one_unit_is_read_from_the_parent_in_the_next(
    backend: Backend,
) -> None:
    User, Order = backend.models.User, backend.models.Order
    with backend.unit() as uow:
        ann = uow.repository(User).create(email="ann@x.org")
    with backend.unit() as uow:
        ann = uow.repository(User).get_one(ann.id)
        ann.orders.append(Order(item="tea"))
    with backend.unit() as uow:
        ann = uow.repository(User).get_one(ann.id)
        assert [order.item for order in ann.orders] == ["tea"]
        assert ann.orders[0].user is ann and ann.orders[0].user_id == ann.id
        ann.orders.append(Order(item="mug"))
    with backend.unit() as uow:
        assert [order.item for order in uow.repository(User).get_one(ann.id).orders] == ["tea", "mug"]


def test_a_child_put_in_a_collection_joins_the_unit_with_a_key_and_its_parents_foreign_key(
    backend: Backend,
) -> None:
    User, Order = backend.models.User, backend.models.Order
    with backend.unit() as uow:
        ann = uow.repository(User).create(email="ann@x.org")
        tea = Order(item="tea")
        ann.orders.append(tea)
        assert uow.repository(Order).all() == [tea]
        assert tea.id is not None and tea.user_id == ann.id
    assert backend.committed(Order, "item") == ["tea"]


def test_a_child_created_with_a_foreign_key_is_in_its_parents_collection_in_the_next_unit(
    backend: Backend,
) -> None:
    with backend.unit() as uow:
        ann = uow.repository(backend.models.User).create(email="ann@x.org")
        uow.repository(backend.models.Order).create(user_id=ann.id, item="tea")
    with backend.unit() as uow:
        [tea] = uow.repository(backend.models.User).get_one(ann.id).orders
        assert tea.item == "tea" and uow.repository(backend.models.Order).first() is tea


def test_a_many_to_one_reference_set_in_one_unit_is_read_in_the_next(backend: Backend) -> None:
    User, Account = backend.models.User, backend.models.Account
    with backend.unit() as uow:
        ann = uow.repository(User).create(email="ann@x.org")
        account = uow.repository(Account).create(login="ann")
        account.owner = ann
    with backend.unit() as uow:
        account = uow.repository(Account).get_one(account.id)
        assert account.owner is uow.repository(User).get_one(ann.id) and account.owner_id == ann.id
        account.owner = None
    with backend.unit() as uow:
        account = uow.repository(Account).get_one(account.id)
        assert (account.owner, account.owner_id) == (None, None)


def test_a_new_object_reached_by_a_many_to_one_reference_is_inserted_with_it(backend: Backend) -> None:
    User, Account = backend.models.User, backend.models.Account
    with backend.unit() as uow:
        account = uow.repository(Account).create(login="bob")
        account.owner = User(email="bob@x.org")
    assert backend.committed(User) == ["bob@x.org"]
    with backend.unit() as uow:
        assert uow.repository(Account).get_one(account.id).owner.email == "bob@x.org"


def test_a_child_moved_to_another_parent_is_in_that_parents_collection_in_the_next_unit(
    backend: Backend,
) -> None:
    User, Order = backend.models.User, backend.models.Order
    with backend.unit() as uow:
        ann = uow.repository(User).create(email="ann@x.org")
        bob = uow.repository(User).create(email="bob@x.org")
        ann.orders.append(Order(item="tea"))
    with backend.unit() as uow:
        users = uow.repository(User)
        ann, bob = users.get_one(ann.id), users.get_one(bob.id)
        bob.orders.append(ann.orders[0])  # the backref takes it out of ann's orders
        assert ann.orders == []
    with backend.unit() as uow:
        users = uow.repository(User)
        assert users.get_one(ann.id).orders == []
        assert [order.item for order in users.get_one(bob.id).orders] == ["tea"]


def test_rollback_undoes_the_changes_to_collections_and_references(backend: Backend) -> None:
    User, Order, Account = backend.models.User, backend.models.Order, backend.models.Account
    with backend.unit() as uow:
        ann = uow.repository(User).create(email="ann@x.org")
        bob = uow.repository(User).create(email="bob@x.org")
        ann.orders.append(Order(item="tea"))
        uow.repository(Account).create(login="ann", owner=ann)
    with backend.unit() as uow:
        users = uow.repository(User)
        ann, bob = users.get_one(ann.id), users.get_one(bob.id)
        account = uow.repository(Account).first()
        [tea] = ann.orders
        bob.orders.append(tea)
        ann.orders.append(Order(item="mug"))
        account.owner = bob
        uow.rollback()
        assert ann.orders == [tea] and tea.user is ann and tea.user_id == ann.id
        assert bob.orders == [] and account.owner is ann and account.owner_id == ann.id
        assert uow.repository(Order).all() == [tea]
    assert backend.committed(Order, "item") == ["tea"]


def test_within_a_unit_a_row_reached_through_relationships_is_the_object_the_repositories_return(
    backend: Backend,
) -> None:
    User, Order = backend.models.User, backend.models.Order
    with backend.unit() as uow:
        ann = uow.repository(User).create(email="ann@x.org")
        ann.orders.extend([Order(item="tea"), Order(item="mug")])
    with backend.unit() as uow:
        tea, mug = uow.repository(Order).all()
        ann = uow.repository(User).first()
        assert ann.orders == [tea, mug] and ann.orders[0] is tea
        assert tea.user is ann and mug.user is ann
    with backend.unit() as uow:
        again = uow.repository(User).first()
        assert again is not ann and again.orders[0] is not tea


def test_create_many_inserts_every_row_and_returns_the_objects_in_the_rows_order(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        created = users.create_many(
            [{"email": "c@x.org", "name": "C"}, {"email": "a@x.org"}, {"email": "b@x.org"}]
        )
        assert [(u.email, u.name) for u in created] == [
            ("c@x.org", "C"),
            ("a@x.org", None),
            ("b@x.org", None),
        ]
        assert None not in {u.id for u in created} and len({u.id for u in created}) == 3
        assert users.all() == sorted(created, key=lambda u: u.id)
        assert users.get(created[0].id) is created[0]
        assert users.create_many([]) == []
    assert sorted(backend.committed(backend.models.User)) == ["a@x.org", "b@x.org", "c@x.org"]


def test_create_many_applies_python_side_defaults_and_accepts_synonyms(backend: Backend) -> None:
    with backend.unit() as uow:
        (ticket,) = uow.repository(backend.models.Ticket).create_many([{"title": "defaulted"}])
        assert ticket.code == "FIXED"
        (account,) = uow.repository(backend.models.Account).create_many([{"login": "ann"}])
        assert account.login == "ann"
    assert backend.committed(backend.models.Account, "login") == ["ann"]


@pytest.mark.parametrize(
    "rows",
    [
        [{"email": "new@x.org"}, {"email": "taken@x.org"}],
        [{"email": "new@x.org"}, {"email": "twice@x.org"}, {"email": "twice@x.org"}],
    ],
    ids=["a committed row", "another row of the call"],
)
def test_create_many_with_a_taken_unique_key_raises_a_conflict_and_commits_none_of_its_rows(
    backend: Backend, rows: list[dict[str, Any]]
) -> None:
    User = backend.models.User
    with backend.unit() as uow:
        uow.repository(User).create(email="taken@x.org")
    with pytest.raises(ConflictError), backend.unit() as uow:
        uow.repository(User).create_many(rows)
    assert backend.committed(User) == ["taken@x.org"]
    with backend.unit() as uow:
        users = uow.repository(User)
        with pytest.raises(ConflictError):
            users.create_many(rows)
        uow.rollback()
        assert [u.email for u in users.all()] == ["taken@x.org"]
        users.create_many([{"email": "after@x.org"}])
    assert backend.committed(User) == ["taken@x.org", "after@x.org"]


@pytest.mark.parametrize(
    ("row", "error", "message"),
    [
        ({"owner": None}, UnsupportedAttributeError, "owner is a relationship"),
        ({"full_name": "Ann Lee"}, UnsupportedAttributeError, "full_name is not a column"),
        ({"loginn": "ann"}, UnknownAttributeError, "did you mean 'login'"),
        ({"login": "x" * 31}, ValueTooLongError, "login"),
    ],
    ids=["relationship", "hybrid", "unknown name", "too long"],
)
def test_create_many_refuses_a_row_it_cannot_insert_before_writing_any(
    backend: Backend, row: dict[str, Any], error: type[Exception], message: str
) -> None:
    with backend.unit() as uow:
        accounts = uow.repository(backend.models.Account)
        with pytest.raises(error, match=message):
            accounts.create_many([{"login": "first"}, row])
        assert accounts.count() == 0
    assert backend.committed(backend.models.Account, "login") == []


def test_stream_yields_the_matching_objects_by_primary_key(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        for id_, name in [(30, "a"), (10, "a"), (20, "b"), (40, "a")]:
            users.create(id=id_, email=f"u{id_}@x.org", name=name)
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        assert [u.id for u in users.stream(batch_size=2, name="a")] == [10, 30, 40]
        assert [u.id for u in users.stream()] == [10, 20, 30, 40]
        assert list(users.stream(name="z")) == []
        streamed = next(users.stream())
        assert users.get(10) is streamed


def test_stream_raises_when_its_unit_commits_in_the_middle_of_the_loop(backend: Backend) -> None:
    with backend.unit() as uow:
        for n in range(5):
            uow.repository(backend.models.User).create(email=f"s{n}@x.org")
    # PyMySQL warns as it drops the rest of an unfinished server-side result.
    dropped = pytest.warns(UserWarning) if backend.name == "mariadb" else contextlib.nullcontext()
    with backend.unit() as uow:
        seen = []
        with pytest.raises(StreamInterruptedError, match="after 2 rows"), dropped:
            for user in uow.repository(backend.models.User).stream(batch_size=2):
                seen.append(user.email)
                if len(seen) == 2:
                    uow.commit()
        assert seen == ["s0@x.org", "s1@x.org"]


def test_stream_checks_its_arguments_when_called_before_any_iteration(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        for batch_size in (0, True, "10"):
            with pytest.raises(UsageError, match="batch_size must be an int of at least 1"):
                users.stream(batch_size=batch_size)
        with pytest.raises(UnknownAttributeError, match="did you mean 'email'"):
            users.stream(emial="a@x.org")


def test_page_walks_the_matching_objects_by_primary_key_after_the_cursor(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        for id_ in (50, 10, 40, 20, 30):
            users.create(id=id_, email=f"u{id_}@x.org", name="odd" if id_ in (10, 30, 50) else "even")
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        first = users.page(2)
        assert [u.id for u in first] == [10, 20]
        assert [u.id for u in users.page(2, after=first[-1].id)] == [30, 40]
        assert [u.id for u in users.page(2, after=40)] == [50]
        assert users.page(2, after=50) == []
        assert [u.id for u in users.page(5, after=10, name="odd")] == [30, 50]


def test_page_after_a_composite_primary_key_orders_by_each_column_in_turn(backend: Backend) -> None:
    with backend.unit() as uow:
        seats = uow.repository(backend.models.Seat)
        for row, number in [("B", 1), ("A", 2), ("A", 10), ("B", 0)]:
            seats.create(row=row, number=number)
        assert [(s.row, s.number) for s in seats.page(2, after=("A", 2))] == [("A", 10), ("B", 0)]
        assert [(s.row, s.number) for s in seats.page(10, after=("B", 0))] == [("B", 1)]


def test_page_refuses_a_size_below_one_and_a_cursor_that_does_not_fit_the_key(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        users.create(email="kept@x.org")
        for size in (0, -1, 2.0):
            with pytest.raises(UsageError, match="size must be an int of at least 1"):
                users.page(size)
        for after in ("5abc", 1.5, (1, 2)):
            with pytest.raises(UsageError, match="after="):
                users.page(2, after=after)
        with pytest.raises(UsageError, match=r"after= has 'A' for Seat\.number"):
            uow.repository(backend.models.Seat).page(2, after=("A", "A"))
        assert [u.email for u in users.page(2)] == ["kept@x.org"]
    assert backend.committed(backend.models.User) == ["kept@x.org"]
