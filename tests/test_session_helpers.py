"""The five helpers on datalayer.Session: what they return and what they do to the transaction."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from datalayer.errors import ConflictError, RetryableError
from tests.conftest import Env


def committed_count(env: Env, model: type, **attrs: object) -> int:
    """What another session sees: only committed rows."""
    with env.db.Session() as other:
        return len(other.all(model, **attrs))


def test_all_returns_a_list_of_matches_ordered_by_primary_key(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        for id_, name in [(30, "a"), (10, "a"), (20, "b")]:
            dbs.add(User(id=id_, email=f"u{id_}@x.org", name=name))
        dbs.flush()
        everyone = dbs.all(User)
        named_a = dbs.all(User, name="a")
    assert isinstance(everyone, list)
    assert [u.id for u in everyone] == [10, 20, 30]
    assert [u.id for u in named_a] == [10, 30]


def test_all_and_first_compare_none_as_is_null(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        dbs.create(User, email="named@x.org", name="named")
        anonymous = dbs.create(User, email="anon@x.org", name=None)
        assert dbs.all(User, name=None) == [anonymous]
        assert dbs.first(User, name=None) is anonymous


def test_first_is_the_lowest_primary_key_among_matches(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        for id_ in (7, 3, 5):
            dbs.add(User(id=id_, email=f"u{id_}@x.org", name="same"))
        dbs.commit()
    with env.db.Session() as dbs:
        first = dbs.first(User, name="same")
        assert first is not None and first.id == 3


def test_first_returns_none_when_nothing_matches(env: Env) -> None:
    with env.db.Session() as dbs:
        assert dbs.first(env.models.User, email="nobody@x.org") is None


def test_create_adds_and_flushes_but_never_commits(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        user = dbs.create(User, email="new@x.org")
        assert user.id is not None  # flushed: the database gave it its key
        assert user.created_at is not None  # server default, read back on access
        assert committed_count(env, User) == 0
        dbs.rollback()
    assert committed_count(env, User) == 0


def test_create_raises_a_conflict_error_on_a_duplicate_key(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        dbs.create(User, email="taken@x.org")
        dbs.commit()
        with pytest.raises(ConflictError) as raised:
            dbs.create(User, email="taken@x.org")
        assert isinstance(raised.value.__cause__, IntegrityError)
        if env.backend == "postgresql":
            assert raised.value.constraint == "uq_t_users_email"  # db.Model's naming convention
        dbs.rollback()
    assert committed_count(env, User) == 1


def test_create_lets_other_integrity_errors_propagate_unchanged(env: Env) -> None:
    with env.db.Session() as dbs, pytest.raises(IntegrityError):
        dbs.create(env.models.Order, user_id=None, item="no user")


def test_create_then_commit_persists(env: Env) -> None:
    with env.db.Session() as dbs:
        dbs.create(env.models.User, email="kept@x.org")
        dbs.commit()
    assert committed_count(env, env.models.User, email="kept@x.org") == 1


def test_first_or_create_returns_the_existing_row(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        existing = dbs.create(User, email="foo@x.org", name="Foo")
        assert dbs.first_or_create(User, email="foo@x.org") is existing
        assert len(dbs.all(User)) == 1


def test_first_or_create_creates_a_missing_row_without_committing(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        user1 = dbs.first_or_create(User, email="foo@x.org")
        user2 = dbs.first_or_create(User, email="foo@x.org")
        assert user1 is user2
        assert committed_count(env, User) == 0


def test_create_or_first_creates_a_new_row(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        user = dbs.create_or_first(User, email="foo@x.org", name="Foo")
        assert (user.email, user.name) == ("foo@x.org", "Foo")
        assert user.id is not None


def test_create_or_first_returns_the_row_holding_the_unique_key(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        dbs.create(User, email="foo@x.org", name="Original")
        dbs.commit()
    with env.db.Session() as dbs:
        # name differs: the row is found by the key that conflicted, not by every attribute
        found = dbs.create_or_first(User, email="foo@x.org", name="Other")
        assert (found.email, found.name) == ("foo@x.org", "Original")
        assert found is dbs.create_or_first(User, email="foo@x.org")
        assert found in dbs  # in the session's identity map
    assert committed_count(env, User) == 1


def test_create_or_first_conflict_keeps_the_callers_flushed_and_pending_work(env: Env) -> None:
    User, Order = env.models.User, env.models.Order
    with env.db.Session() as dbs:
        dbs.create(User, email="taken@x.org")
        dbs.commit()
    with env.db.Session() as dbs:
        flushed = dbs.create(User, email="flushed@x.org")
        dbs.create(Order, user_id=flushed.id, item="flushed order")
        pending = User(email="pending@x.org")
        dbs.add(pending)  # not flushed yet
        taken = dbs.first(User, email="taken@x.org")
        assert taken is not None
        taken.name = "modified before the conflict"

        found = dbs.create_or_first(User, email="taken@x.org")

        assert found is taken
        assert flushed in dbs and pending in dbs
        dbs.commit()
    with env.db.Session() as dbs:
        emails = sorted(u.email for u in dbs.all(User))
        assert emails == ["flushed@x.org", "pending@x.org", "taken@x.org"]
        assert [o.item for o in dbs.all(Order)] == ["flushed order"]
        survivor = dbs.first(User, email="taken@x.org")
        assert survivor is not None and survivor.name == "modified before the conflict"


def test_create_or_first_finds_the_row_by_a_composite_unique_key(env: Env) -> None:
    Membership = env.models.Membership
    with env.db.Session() as dbs:
        owner = dbs.create(Membership, team="core", member="ann", role="owner")
        dbs.create(Membership, team="web", member="ann", role="dev")
        found = dbs.create_or_first(Membership, team="core", member="ann", role="guest")
        assert found is owner
        other = dbs.create_or_first(Membership, team="core", member="bob")
        assert other.id not in (owner.id, None)


def test_create_or_first_finds_the_row_by_an_explicit_primary_key(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        existing = dbs.create(User, id=42, email="pk@x.org")
        assert dbs.create_or_first(User, id=42, email="other@x.org") is existing


def test_create_or_first_lets_a_not_null_failure_propagate_and_keeps_earlier_work(env: Env) -> None:
    User, Order = env.models.User, env.models.Order
    with env.db.Session() as dbs:
        user = dbs.create(User, email="kept@x.org")
        with pytest.raises(IntegrityError):
            dbs.create_or_first(Order, user_id=user.id, item=None)
        dbs.commit()
    assert committed_count(env, User, email="kept@x.org") == 1
    assert committed_count(env, Order) == 0


def test_create_or_first_lets_a_foreign_key_failure_propagate(env: Env) -> None:
    with env.db.Session() as dbs:
        with pytest.raises(IntegrityError) as raised:
            dbs.create_or_first(env.models.Order, user_id=999_999, item="orphan")
        assert not isinstance(raised.value, ConflictError)
        assert dbs.all(env.models.Order) == []


def test_create_or_first_refuses_a_conflict_on_a_key_it_was_not_given(env: Env) -> None:
    Ticket = env.models.Ticket
    with env.db.Session() as dbs:
        dbs.create(Ticket, title="first")  # takes the default code "FIXED"
        # "second" is a new title, but the default code conflicts: not retryable
        with pytest.raises(ConflictError, match="do not cover") as raised:
            dbs.create_or_first(Ticket, title="second")
        assert not isinstance(raised.value, RetryableError)
        assert raised.value.__cause__ is None or isinstance(raised.value.__cause__, IntegrityError)
        assert [t.title for t in dbs.all(Ticket)] == ["first"]


def test_create_or_first_never_takes_the_callers_own_conflict_for_its_own(env: Env) -> None:
    User, Ticket = env.models.User, env.models.Ticket
    with env.db.Session() as dbs:
        dbs.create(User, email="taken@x.org")
        dbs.commit()
        dbs.add(User(email="taken@x.org"))  # the caller's pending duplicate
        with pytest.raises(ConflictError, match="roll the session back") as raised:
            dbs.create_or_first(Ticket, title="unrelated")
        assert isinstance(raised.value.__cause__, IntegrityError)
        dbs.rollback()
        assert dbs.all(Ticket) == []


def test_values_are_bound_parameters_never_sql(env: Env) -> None:
    User = env.models.User
    hostile = "o'brien\"; DROP TABLE t_users; -- \\ %s %(x)s ? :name"
    with env.db.Session() as dbs:
        user = dbs.create(User, email=hostile, name="ünïcødé ✓ 🐘")
        dbs.commit()
        user_id = user.id
    with env.db.Session() as dbs:
        found = dbs.first(User, email=hostile)
        assert found is not None and found.id == user_id
        assert found.name == "ünïcødé ✓ 🐘"
        assert dbs.create_or_first(User, email=hostile) is found
