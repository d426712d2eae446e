"""upsert on each backend: one statement that inserts, or updates the row holding the match key.

What it returns (the object as stored, in the identity map), what it does to the
transaction (flushes first, never commits) and which errors it raises.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, PendingRollbackError

from datalayer import UnitOfWork
from datalayer.errors import ConflictError
from datalayer.testing import count_queries
from tests.conftest import Env
from tests.models import Status


def committed(env: Env, model: type[Any], attribute: str) -> list[Any]:
    """``attribute`` of each committed row, by primary key, as another session sees them."""
    with env.db.Session() as other:
        return [getattr(obj, attribute) for obj in other.all(model)]


def test_upsert_inserts_a_new_row_and_returns_it_with_its_database_defaults(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        user = dbs.upsert(User, match=("email",), email="a@x.org", name="Ann")
        assert isinstance(user, User) and user.id is not None
        assert user.created_at is not None  # a server default, returned with the row
        assert dbs.get(User, user.id) is user  # in the identity map
        dbs.commit()
    assert committed(env, User, "name") == ["Ann"]


def test_upsert_updates_the_row_holding_the_key_and_leaves_the_other_columns_alone(env: Env) -> None:
    Account = env.models.Account
    with env.db.Session() as dbs:
        first = dbs.upsert(Account, match=("login",), login="ann", first_name="Ann", last_name="Lee")
        first_id = first.id
        dbs.commit()
    with env.db.Session() as dbs:
        again = dbs.upsert(Account, match=("login",), login="ann", first_name="Anne")
        assert (again.id, again.first_name, again.last_name) == (first_id, "Anne", "Lee")
        assert again.status is Status.ACTIVE  # the Python-side default of the insert, kept
        dbs.commit()
    assert committed(env, Account, "first_name") == ["Anne"]


def test_upsert_refreshes_the_object_already_loaded_for_the_row(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        loaded = dbs.create(User, email="a@x.org", name="old")
        assert dbs.upsert(User, match="email", email="a@x.org", name="new") is loaded
        assert loaded.name == "new"  # populate_existing: the stored values, not the old ones
        assert loaded not in dbs.dirty


def test_upsert_sends_one_statement_after_flushing_the_pending_work(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        dbs.create(User, email="taken@x.org", name="old")
        dbs.add(User(email="pending@x.org"))
        with count_queries(env.db) as log:
            dbs.upsert(User, match=("email",), email="taken@x.org", name="new")
        assert len(log) == 2, log.report()  # the pending INSERT, then the upsert
        with count_queries(env.db) as log:
            dbs.upsert(User, match=("email",), email="fresh@x.org", name="new")
        assert len(log) == 1, log.report()
        assert sorted(u.email for u in dbs.all(User)) == ["fresh@x.org", "pending@x.org", "taken@x.org"]


def test_upsert_never_commits(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        dbs.upsert(User, match=("email",), email="a@x.org")
        assert committed(env, User, "email") == []
        dbs.rollback()
    assert committed(env, User, "email") == []


def test_upsert_matches_a_composite_key_a_primary_key_and_a_synonym(env: Env) -> None:
    models = env.models
    with UnitOfWork(env.db) as uow:
        members = uow.repository(models.Membership)
        member = members.upsert(match=("team", "member"), team="a", member="b", role="x")
        assert members.upsert(match=("member", "team"), team="a", member="b", role="y") is member
        seat = uow.session.upsert(models.Seat, match=("row", "number"), row="AB", number=7)
        assert uow.session.upsert(models.Seat, match=("row", "number"), row="AB", number=7) is seat
        assert seat.row_length == 2  # a deferred SQL expression still loads
        account = uow.session.upsert(models.Account, match="login", login="ann", plan=Status.SUSPENDED)
        assert uow.session.upsert(models.Account, match="_login", _login="ann", first_name="A") is account
        assert (account.plan, account.first_name) == (Status.SUSPENDED, "A")
    assert committed(env, models.Membership, "role") == ["y"]


def test_upsert_with_only_the_key_returns_the_row_unchanged(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        user = dbs.upsert(User, match=("email",), email="a@x.org", name="Ann")
        dbs.commit()
        dbs.expire_all()
        assert dbs.upsert(User, match=("email",), email="a@x.org") is user
        assert user.name == "Ann"


def test_upsert_renders_a_sql_expression_into_the_statement(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        made = dbs.upsert(User, match=("email",), email=func.lower("A@X.ORG"), name=func.upper("ann"))
        assert (made.email, made.name) == ("a@x.org", "ANN")
        again = dbs.upsert(User, match=("email",), email=func.lower("A@X.ORG"), name="Ann")
        assert again is made and made.name == "Ann"
        assert dbs.upsert(User, match=("email",), email="a@x.org", name="cached") is made  # bound again


def test_a_conflict_on_another_unique_key_raises_and_updates_no_row(env: Env) -> None:
    Ticket = env.models.Ticket
    with env.db.Session() as dbs:
        dbs.upsert(Ticket, match=("title",), title="first")  # takes the default code FIXED
        dbs.commit()
        with pytest.raises(ConflictError, match="upsert of Ticket"):
            dbs.upsert(Ticket, match=("title",), title="second")  # its default code is taken
        dbs.rollback()
    assert committed(env, Ticket, "title") == ["first"]


def test_a_conflict_on_another_key_fails_the_transaction_on_every_database_leaving_that_row(env: Env) -> None:
    # MariaDB's ON DUPLICATE KEY meets the other key without an error: refused all the same, the
    # transaction rolled back as PostgreSQL's is, so that no database lets the caller commit past it.
    Ticket = env.models.Ticket
    with env.db.Session() as dbs:
        dbs.upsert(Ticket, match=("title",), title="first", code="A")
        dbs.commit()
        dbs.upsert(Ticket, match=("title",), title="second", code="B")  # uncommitted: undone with the refusal
        with pytest.raises(ConflictError, match="upsert of Ticket"):
            dbs.upsert(Ticket, match=("title",), title="second", code="A")
        with pytest.raises(PendingRollbackError):
            dbs.commit()
        dbs.rollback()
        assert dbs.scalars(select(Ticket.code).order_by(Ticket.code)).all() == ["A"]
        held = dbs.first(Ticket, title="first")
        assert held is not None and held.code == "A"
    assert committed(env, Ticket, "code") == ["A"]


@pytest.mark.only("mariadb")
def test_mariadb_names_the_row_that_holds_the_other_key(env: Env) -> None:
    Ticket = env.models.Ticket
    with env.db.Session() as dbs:
        dbs.upsert(Ticket, match=("title",), title="first", code="A")
        with pytest.raises(ConflictError, match="holding title='first'"):
            dbs.upsert(Ticket, match=("title",), title="second", code="A")


def test_other_integrity_errors_propagate_unchanged(env: Env) -> None:
    Order = env.models.Order
    with env.db.Session() as dbs, pytest.raises(IntegrityError) as raised:
        dbs.upsert(Order, match=("id",), id=1, user_id=999, item="orphan")  # no such user
    assert not isinstance(raised.value, ConflictError)
