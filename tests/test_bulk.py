"""create_many, stream and page: many rows at once."""

from __future__ import annotations

import decimal

import pytest
from sqlalchemy.exc import IntegrityError

from datalayer.errors import ConflictError, UnknownAttributeError, UnsupportedAttributeError, UsageError
from datalayer.testing import count_queries
from repositories import Repository
from tests.conftest import Env


def test_create_many_returns_the_objects_in_order_with_their_defaults(env: Env) -> None:
    with env.db.Session() as dbs:
        rows = [{"email": f"u{n}@x.org", "name": f"U{n}"} for n in range(250)]
        users = dbs.create_many(env.models.User, rows)
        assert [u.email for u in users] == [row["email"] for row in rows]
        assert all(u.id is not None and u.created_at is not None for u in users)
        assert users[10] is dbs.get(env.models.User, users[10].id)
        assert dbs.create_many(env.models.User, []) == []
        dbs.commit()
    with env.db.Session() as dbs:
        assert len(dbs.all(env.models.User)) == 250


def test_create_many_batches_its_statements(env: Env) -> None:
    with env.db.Session() as dbs, count_queries(env.db) as log:
        Repository(dbs, env.models.Tag).create_many({"label": f"t{n}"} for n in range(2000))
    assert len(log) < 20  # batched, not one INSERT per row


def test_create_many_refuses_unknown_attributes_and_reports_conflicts(env: Env) -> None:
    with env.db.Session() as dbs:
        with pytest.raises(UnknownAttributeError, match="emial"):
            dbs.create_many(env.models.User, [{"email": "a@x.org"}, {"emial": "b@x.org"}])
        assert dbs.all(env.models.User) == []
        with pytest.raises(ConflictError) as raised:
            dbs.create_many(env.models.User, [{"email": "same@x.org"}, {"email": "same@x.org"}])
        assert isinstance(raised.value.__cause__, IntegrityError)


def test_stream_yields_every_match_in_primary_key_order(env: Env) -> None:
    with env.db.Session() as dbs:
        dbs.create_many(env.models.Tag, [{"label": f"t{n:04}"} for n in range(1200)])
        dbs.commit()
        labels = [tag.label for tag in Repository(dbs, env.models.Tag).stream(batch_size=100)]
        assert labels == [f"t{n:04}" for n in range(1200)]
        assert [t.label for t in Repository(dbs, env.models.Tag).stream(label="t0007")] == ["t0007"]


def test_page_walks_the_table_by_primary_key(env: Env) -> None:
    with env.db.Session() as dbs:
        tags = Repository(dbs, env.models.Tag)
        tags.create_many({"label": f"t{n:03}"} for n in range(95))
        seen: list[str] = []
        after = None
        while page := tags.page(size=20, after=after):
            seen += [tag.label for tag in page]
            after = page[-1].id
        assert seen == [f"t{n:03}" for n in range(95)]
        with pytest.raises(UsageError, match="size must be an int of at least 1"):
            tags.page(size=0)
        with pytest.raises(UsageError, match="needs 1 primary key values"):
            tags.page(size=5, after=(1, 2))


def test_a_deep_keyset_page_runs_the_same_single_statement(env: Env) -> None:
    with env.db.Session() as dbs:
        tags = Repository(dbs, env.models.Tag)
        created = tags.create_many({"label": f"t{n}"} for n in range(300))
        with count_queries(env.db) as first, count_queries(env.db):
            tags.page(size=10)
        with count_queries(env.db) as deep:
            assert [t.id for t in tags.page(size=10, after=created[199].id)] == [
                t.id for t in created[200:210]
            ]
        assert len(first) == len(deep) == 1
        assert " > " in deep.statements[0] and len(first.statements[0]) < len(deep.statements[0])


def test_create_many_stores_a_synonyms_value_in_its_column(env: Env) -> None:
    with env.db.Session() as dbs:
        created = dbs.create_many(env.models.Account, [{"login": "ann"}, {"_login": "bob"}])
        dbs.commit()
        assert [a.login for a in created] == ["ann", "bob"]
    with env.db.Session() as dbs:
        assert [a.login for a in dbs.all(env.models.Account)] == ["ann", "bob"]


@pytest.mark.parametrize(
    ("model", "row", "expected"),
    [
        (
            "Order",
            {"item": "x", "user": None},
            r"Order\.user is a relationship: .*pass user_id=, or create\(\)",
        ),
        (
            "User",
            {"email": "a@x.org", "orders": []},
            r"User\.orders is a relationship: .*create\(\) each row",
        ),
        (
            "Account",
            {"login": "ann", "full_name": "Ann Lee"},
            r"Account\.full_name is not a column: .*create\(\)",
        ),
        (
            "Seat",
            {"row": "A", "number": 1, "row_length": 1},
            r"Seat\.row_length is a read-only SQL expression",
        ),
    ],
)
def test_create_many_refuses_what_it_cannot_insert_and_sends_nothing(
    env: Env, model: str, row: dict[str, object], expected: str
) -> None:
    Model = getattr(env.models, model)
    with env.db.Session() as dbs:
        user = dbs.create(env.models.User, email="owner@x.org")
        if model == "Order":
            row = {**row, "user": user}
        with count_queries(env.db) as log, pytest.raises(UnsupportedAttributeError, match=expected):
            dbs.create_many(Model, [{k: v for k, v in row.items() if k not in ("user", "orders")}, row])
        assert len(log) == 0
        assert dbs.all(Model) == ([user] if model == "User" else [])


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("abc", "takes a int"),
        ("5abc", "takes a int"),
        ("5", "takes a int"),
        (True, "takes a int"),
        (2.0, "int"),
    ],
)
def test_page_refuses_a_cursor_of_the_wrong_type_before_sending_anything(
    env: Env, after: object, expected: str
) -> None:
    with env.db.Session() as dbs:
        tags = Repository(dbs, env.models.Tag)
        created = tags.create_many({"label": f"t{n}"} for n in range(10))
        with count_queries(env.db) as log, pytest.raises(UsageError, match=f"after= has .* {expected}"):
            tags.page(size=3, after=after)
        assert len(log) == 0
        assert [t.id for t in tags.page(size=3, after=created[4].id)] == [t.id for t in created[5:8]]


def test_page_checks_each_part_of_a_composite_cursor(env: Env) -> None:
    with env.db.Session() as dbs:
        seats = Repository(dbs, env.models.Seat)
        seats.create_many({"row": row, "number": n} for row in "AB" for n in (1, 2))
        assert [(s.row, s.number) for s in seats.page(size=2, after=("A", 2))] == [("B", 1), ("B", 2)]
        with pytest.raises(UsageError, match=r"Seat\.number, which takes a int"):
            seats.page(size=2, after=("A", "2"))
        with pytest.raises(UsageError, match=r"Seat\.row, which takes a str"):
            seats.page(size=2, after=(1, 2))
        with pytest.raises(UsageError, match=r"None for Seat\.number"):
            seats.page(size=2, after=("A", None))


def test_page_takes_an_int_cursor_for_a_float_key_but_not_a_bool() -> None:
    from datalayer._keyset import _fits  # the rule for the key types the test models lack

    assert _fits(3, float) and _fits(3, decimal.Decimal) and _fits(3.5, float)
    assert not _fits(True, int) and not _fits(True, float) and _fits(True, bool)
    assert not _fits("3", int) and not _fits(3.0, int)


def test_a_bad_cursor_leaves_the_transaction_usable(env: Env) -> None:
    with env.db.Session() as dbs:
        tags = Repository(dbs, env.models.Tag)
        tag = tags.create(label="kept")
        with pytest.raises(UsageError):
            tags.page(size=3, after="abc")
        assert tags.page(size=3) == [tag]  # PostgreSQL would have aborted the transaction
        dbs.commit()
    with env.db.Session() as dbs:
        assert [t.label for t in dbs.all(env.models.Tag)] == ["kept"]
