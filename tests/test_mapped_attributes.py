"""Synonyms, hybrids, SQL expressions and Enum columns through every helper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from datalayer import Session
from datalayer.errors import UnsupportedAttributeError, UsageError, ValueTooLongError
from datalayer.testing import count_queries
from repositories import Repository
from tests.conftest import Env
from tests.models import Status

WRITERS = ["create", "create_or_first", "first_or_create"]
FILTERS: dict[str, Callable[[Repository[Any], dict[str, Any]], object]] = {
    "all": lambda r, a: r.all(**a),
    "first": lambda r, a: r.first(**a),
    "count": lambda r, a: r.count(**a),
    "exists": lambda r, a: r.exists(**a),
    "first_or_create": lambda r, a: r.first_or_create(**a),
    "stream": lambda r, a: r.stream(**a),
    "page": lambda r, a: r.page(size=5, **a),
}


def call(dbs: Session, helper: str, model: Any, **attrs: Any) -> Any:
    method: Callable[..., Any] = getattr(dbs, helper)
    return method(model, **attrs)


@pytest.mark.parametrize("helper", WRITERS)
def test_enum_members_with_values_longer_than_their_names_are_stored(env: Env, helper: str) -> None:
    Account = env.models.Account
    with env.db.Session() as dbs:
        account = call(dbs, helper, Account, login="ann", status=Status.SUSPENDED, plan=Status.SUSPENDED)
        dbs.commit()
        assert (account.status, account.plan) == (Status.SUSPENDED, Status.SUSPENDED)
        account_id = account.id
    with env.db.Session() as dbs:
        stored = dbs.execute(text("SELECT status, plan FROM t_accounts")).one()
        assert tuple(stored) == ("SUSPENDED", "suspended-by-an-administrator")  # name, values_callable
        again = (
            call(dbs, helper, Account, login="ann", status=Status.SUSPENDED) if helper != "create" else None
        )
        assert again is None or again.id == account_id


def test_enum_members_added_to_the_session_are_flushed(env: Env) -> None:
    with env.db.Session() as dbs:
        dbs.add(env.models.Account(login="ann", status=Status.ACTIVE, plan=Status.ACTIVE))
        dbs.flush()
        account = dbs.create_many(env.models.Account, [{"login": "bob", "status": Status.SUSPENDED}])[0]
        account.plan = Status.SUSPENDED  # a change, checked at the next flush
        dbs.commit()
    with env.db.Session() as dbs:
        assert [(a.status, a.plan) for a in dbs.all(env.models.Account)] == [
            (Status.ACTIVE, Status.ACTIVE),
            (Status.SUSPENDED, Status.SUSPENDED),
        ]


def test_a_plain_string_equal_to_an_enum_value_is_stored_as_its_member(env: Env) -> None:
    with env.db.Session() as dbs:
        dbs.create(env.models.Account, login="ann", status="suspended-by-an-administrator")
        dbs.commit()
    with env.db.Session() as dbs:
        assert dbs.execute(text("SELECT status FROM t_accounts")).scalar_one() == "SUSPENDED"
        assert dbs.first(env.models.Account, login="ann").status is Status.SUSPENDED


@pytest.mark.parametrize("helper", WRITERS)
def test_over_long_plain_strings_are_still_refused_in_enum_and_string_columns(env: Env, helper: str) -> None:
    with env.db.Session() as dbs:
        with pytest.raises(ValueTooLongError, match=r"Account\.status is too long: at most 9"):
            call(dbs, helper, env.models.Account, login="ann", status="not-a-status-at-all")
        with pytest.raises(ValueTooLongError, match=r"Account\.login is too long: at most 30"):
            call(dbs, helper, env.models.Account, login="x" * 31)
        with pytest.raises(ValueTooLongError, match=r"Account\.login is too long"):
            dbs.create_many(env.models.Account, [{"login": "x" * 31}])
        assert dbs.all(env.models.Account) == []


def test_create_or_first_through_a_synonym_returns_the_existing_row(env: Env) -> None:
    Account = env.models.Account
    with env.db.Session() as dbs:
        existing_id = dbs.create(Account, login="ann", first_name="Ann").id
        dbs.commit()
    with env.db.Session() as dbs:
        found = dbs.create_or_first(Account, login="ann", first_name="Other")
        assert (found.id, found.first_name) == (existing_id, "Ann")
        assert dbs.create_or_first(Account, login="ann") is found
        assert dbs.first_or_create(Account, login="ann", first_name="Ann") is found
        assert len(dbs.all(Account)) == 1


def test_a_synonym_filters_like_the_attribute_it_stands_for(env: Env) -> None:
    Account = env.models.Account
    with env.db.Session() as dbs:
        ann = dbs.create(Account, login="ann")
        dbs.create(Account, login="bob")
        accounts = Repository(dbs, Account)
        assert accounts.first(login="ann") is ann
        assert accounts.all(login="ann") == [ann]
        assert accounts.count(login="ann") == 1
        assert accounts.exists(login="bob") and not accounts.exists(login="cid")
        assert accounts.first_or_create(login="ann") is ann
        assert [a.login for a in accounts.stream(login="bob")] == ["bob"]
        assert accounts.page(size=5, login="ann") == [ann]


def test_a_synonym_and_its_attribute_given_together_are_refused(env: Env) -> None:
    with env.db.Session() as dbs, pytest.raises(UsageError, match="give _login once"):
        dbs.create_or_first(env.models.Account, login="ann", _login="bob")


@pytest.mark.parametrize("helper", ["first_or_create", "create_or_first"])
def test_a_helper_that_finds_rows_by_its_attributes_refuses_none(env: Env, helper: str) -> None:
    with env.db.Session() as dbs:
        dbs.create(env.models.Ticket, title="any")
        with (
            count_queries(env.db) as log,
            pytest.raises(UsageError, match=rf"{helper}\(Ticket\) needs attributes"),
        ):
            call(dbs, helper, env.models.Ticket)
        assert len(log) == 0
        with pytest.raises(UsageError, match="needs attributes"):
            getattr(Repository(dbs, env.models.Ticket), helper)()


@pytest.mark.parametrize("helper", sorted(FILTERS))
def test_a_hybrid_without_a_sql_expression_is_refused_as_a_filter(env: Env, helper: str) -> None:
    with env.db.Session() as dbs:
        dbs.create(env.models.Account, login="ann", first_name="ann")
        with count_queries(env.db) as log, pytest.raises(UnsupportedAttributeError) as raised:
            FILTERS[helper](Repository(dbs, env.models.Account), {"display_name": "Ann"})
        assert len(log) == 0
        assert (raised.value.model, raised.value.attribute) == (env.models.Account, "display_name")
        assert "no SQL expression" in str(raised.value) and "filter on the columns" in str(raised.value)


@pytest.mark.parametrize("helper", ["create", "create_or_first"])
def test_a_hybrid_without_a_setter_is_refused_as_a_constructor_argument(env: Env, helper: str) -> None:
    with env.db.Session() as dbs:
        with pytest.raises(UnsupportedAttributeError, match=r"Account\.display_name .* without a setter"):
            call(dbs, helper, env.models.Account, login="ann", display_name="Ann")
        assert dbs.all(env.models.Account) == []


@pytest.mark.parametrize("helper", ["create", "create_or_first"])
def test_a_sql_expression_is_refused_as_a_constructor_argument(env: Env, helper: str) -> None:
    with env.db.Session() as dbs:
        with pytest.raises(UnsupportedAttributeError, match=r"Seat\.row_length is a read-only SQL"):
            call(dbs, helper, env.models.Seat, row="A", number=1, row_length=99)
        seat = dbs.create(env.models.Seat, row="AB", number=1)
        assert dbs.first(env.models.Seat, row_length=2) is seat  # as a filter it works


def test_a_hybrid_method_and_a_collection_are_refused_as_filters(env: Env) -> None:
    with env.db.Session() as dbs:
        with pytest.raises(UnsupportedAttributeError, match="is a hybrid method"):
            dbs.first(env.models.Account, is_named="ann")
        with pytest.raises(UnsupportedAttributeError, match=r"User\.orders is a collection"):
            dbs.all(env.models.User, orders=[])


def test_a_hybrid_with_a_setter_and_an_expression_works_in_every_helper(env: Env) -> None:
    Account = env.models.Account
    with env.db.Session() as dbs:
        ann = dbs.create(Account, login="ann", full_name="Ann Lee")
        assert (ann.first_name, ann.last_name) == ("Ann", "Lee")
        assert dbs.first(Account, full_name="Ann Lee") is ann
        assert dbs.first_or_create(Account, login="ann", full_name="Ann Lee") is ann
        assert dbs.create_or_first(Account, login="ann", full_name="Bob Ray") is ann  # found by login
        bob = dbs.first_or_create(Account, login="bob", full_name="Bob Ray")
        assert bob is not ann and bob.first_name == "Bob"
        dbs.commit()
    with env.db.Session() as dbs:
        assert [a.full_name for a in dbs.all(Account)] == ["Ann Lee", "Bob Ray"]
