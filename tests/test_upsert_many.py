"""upsert_many on each backend: a statement per batch of rows, the objects in the rows' order."""

from __future__ import annotations

import pytest

from datalayer import UnitOfWork
from datalayer.errors import ConflictError, ValueTooLongError
from datalayer.testing import count_queries
from tests.conftest import Env

TICKETS = [{"title": "a", "code": "A"}, {"title": "b", "code": "B"}]


def test_upsert_many_sends_one_statement_per_batch_where_the_server_returns_rows_in_order(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        dbs.create_many(User, [{"email": f"u{n}@x.org", "name": "old"} for n in range(0, 1500, 2)])
        loaded = dbs.all(User)
        rows = [{"email": f"u{n}@x.org", "name": f"new {n}"} for n in reversed(range(1500))]
        with count_queries(env.db) as log:
            made = dbs.upsert_many(User, rows, match=("email",))
        batches = len(log)
        assert [user.email for user in made] == [row["email"] for row in rows]
        assert [user.name for user in made] == [row["name"] for row in rows]
        assert {user.name for user in loaded} == {f"new {n}" for n in range(0, 1500, 2)}  # refreshed
        assert set(loaded) <= set(made)
        assert len({user.id for user in made}) == 1500
    # SQLite returns the rows of one statement in no set order: SQLAlchemy sends one per row.
    assert batches == (1500 if env.backend == "sqlite" else 2)


def test_upsert_many_refuses_a_value_too_long_naming_its_row_before_sending_anything(env: Env) -> None:
    User = env.models.User
    rows = [{"email": f"u{n}@x.org", "name": "n"} for n in range(10)]
    rows[7]["name"] = "x" * 201
    with env.db.Session() as dbs:
        pending = User(email="pending@x.org")
        dbs.add(pending)
        with count_queries(env.db) as log:
            with pytest.raises(ValueTooLongError, match=r"^row 7 of upsert_many: User\.name is too long"):
                dbs.upsert_many(User, rows, match="email")
            with pytest.raises(ValueTooLongError, match=r"^row 7 of upsert_many: User\.email is too long"):
                dbs.upsert_many(User, [*rows[:7], {"email": "e" * 201, "name": "n"}], match="email")
        assert len(log) == 0  # not even the flush of the pending object
        assert pending in dbs.new
        del rows[7]
        assert [user.email for user in dbs.upsert_many(User, rows, match="email")] == [
            r["email"] for r in rows
        ]


@pytest.mark.only("mariadb")
def test_mariadb_hands_a_row_stored_under_a_key_spelled_otherwise_to_its_input_row(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        ann = dbs.create(User, email="ann@x.org", name="old")
        rows = [{"email": "new@x.org", "name": "n"}, {"email": "ANN@X.ORG", "name": "u"}]
        made = dbs.upsert_many(User, [*rows, {"email": "z@x.org", "name": None}], match=("email",))
        assert made[1] is ann and (ann.email, ann.name) == ("ann@x.org", "u")  # the collation ignores case
        assert [user.email for user in made] == ["new@x.org", "ann@x.org", "z@x.org"]


def test_upsert_many_with_a_conflict_on_another_unique_key_raises(env: Env) -> None:
    Ticket = env.models.Ticket
    with UnitOfWork(env.db) as uow:
        uow.session.upsert_many(Ticket, TICKETS, match="title")
    rows = [{"title": "c", "code": "C"}, {"title": "d", "code": "A"}]
    with pytest.raises(ConflictError, match="Ticket"), UnitOfWork(env.db) as uow:
        uow.session.upsert_many(Ticket, rows, match="title")
    with env.db.Session() as dbs:
        assert sorted((t.title, t.code) for t in dbs.all(Ticket)) == [("a", "A"), ("b", "B")]


@pytest.mark.only("mariadb")
def test_mariadb_upserts_a_model_with_other_unique_keys_a_row_at_a_time(env: Env) -> None:
    Ticket = env.models.Ticket
    with env.db.Session() as dbs, count_queries(env.db) as log:
        made = dbs.upsert_many(Ticket, TICKETS, match="title")
        assert [ticket.code for ticket in made] == ["A", "B"]
    assert len(log) == 2  # each row checked for the key it met, as upsert() checks it
