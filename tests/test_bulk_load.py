"""create_many(..., returning=False): the rows loaded without objects, their number returned."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import String, func, select
from sqlalchemy.exc import IntegrityError, PendingRollbackError
from sqlalchemy.orm import Mapped, mapped_column

from datalayer import Database, UnitOfWork, _bulk_rows
from datalayer._copy import copy_rows
from datalayer.errors import (
    ConflictError,
    ReadOnlyError,
    UnknownAttributeError,
    UnsupportedAttributeError,
    ValueTooLongError,
)
from datalayer.testing import count_queries
from repositories import Repository
from tests.conftest import Env
from tests.models import Status


def stored(env: Env, model: type[Any], *columns: str) -> list[tuple[Any, ...]]:
    with env.db.Session() as dbs:
        table = model.__table__.c
        return [tuple(row) for row in dbs.execute(select(*(table[c] for c in columns)).order_by(table.id))]


def test_create_many_without_returning_inserts_every_row_and_returns_their_number(env: Env) -> None:
    with env.db.Session() as dbs:
        rows = [{"email": f"u{n}@x.org", "name": f"U{n}"} for n in range(2500)]
        assert dbs.create_many(env.models.User, rows, returning=False) == 2500
        assert len(dbs.identity_map) == 0  # no object is loaded
        assert dbs.create_many(env.models.User, [], returning=False) == 0
        dbs.commit()
    assert stored(env, env.models.User, "email", "name") == [(r["email"], r["name"]) for r in rows]
    with env.db.Session() as dbs:  # the server default applied to every row
        assert dbs.scalar(select(func.count()).where(env.models.User.created_at.is_(None))) == 0


def test_create_many_without_returning_applies_python_and_server_defaults_as_an_insert(env: Env) -> None:
    Ticket, Account = env.models.Ticket, env.models.Account
    with env.db.Session() as dbs:
        assert dbs.create_many(Ticket, [{"title": "a"}], returning=False) == 1
        dbs.create_many(Account, [{"_login": "x"}, {"_login": "y"}], returning=False)
        dbs.commit()
    assert stored(env, Ticket, "code", "title") == [("FIXED", "a")]
    with env.db.Session() as dbs:
        assert [a.status for a in dbs.scalars(select(Account).order_by(Account.id))] == [Status.ACTIVE] * 2


def test_create_many_without_returning_takes_synonyms_enums_and_uneven_rows(env: Env) -> None:
    Account = env.models.Account
    rows: list[dict[str, Any]] = [
        {"login": "syn", "status": Status.SUSPENDED, "plan": Status.SUSPENDED},
        {"_login": "own", "first_name": "Ann"},
        {"_login": "sql", "owner_id": None},
    ]
    with env.db.Session() as dbs:
        assert dbs.create_many(Account, rows, returning=False) == 3
        dbs.commit()
    with env.db.Session() as dbs:
        found = {a.login: (a.status, a.plan, a.first_name) for a in dbs.scalars(select(Account))}
    assert found == {
        "syn": (Status.SUSPENDED, Status.SUSPENDED, None),
        "own": (Status.ACTIVE, None, "Ann"),
        "sql": (Status.ACTIVE, None, None),
    }


def test_create_many_without_returning_checks_the_rows_once_whichever_way_they_are_sent(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    for name in ("check_insertable", "limits_of"):  # the name check and the column check, once each
        original = getattr(_bulk_rows, name)

        def counted(*args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            checks.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(_bulk_rows, name, counted)
    ways: dict[str, list[dict[str, Any]]] = {
        "planned": [{"email": "a@x.org", "name": "A"}],
        "a None for a server default": [{"email": "b@x.org", "created_at": None}],
        "uneven rows": [{"email": "c@x.org"}, {"email": "d@x.org", "name": "D"}],
    }
    with env.db.Session() as dbs:
        for way, rows in ways.items():
            checks.clear()
            assert dbs.create_many(env.models.User, rows, returning=False) == len(rows)
            assert sorted(checks) == ["check_insertable", "limits_of"], way
        dbs.commit()
    assert [email for (email,) in stored(env, env.models.User, "email")] == [f"{c}@x.org" for c in "abcd"]


def test_create_many_without_returning_refuses_a_bad_row_naming_it_before_sending_anything(env: Env) -> None:
    User, Account = env.models.User, env.models.Account
    good = [{"email": f"u{n}@x.org"} for n in range(5)]
    with env.db.Session() as dbs, count_queries(env.db) as log:
        with pytest.raises(UnknownAttributeError, match=r"^row 3 of create_many: .*'emial'"):
            dbs.create_many(User, [*good[:3], {"emial": "b@x.org"}], returning=False)
        with pytest.raises(ValueTooLongError, match=r"^row 4 of create_many: User.email is too long"):
            dbs.create_many(User, [*good[:4], {"email": "x" * 201}], returning=False)
        with pytest.raises(ValueTooLongError, match=r"^row 1 of create_many: Account.login is too long"):
            dbs.create_many(Account, [{"login": "a"}, {"login": "b" * 31}], returning=False)
        with pytest.raises(UnsupportedAttributeError, match=r"row 0 of create_many: Account.owner"):
            dbs.create_many(Account, [{"_login": "a", "owner": None}], returning=False)
        for returning in (True, False):
            with pytest.raises(UnsupportedAttributeError, match=r"row 1 of create_many: .* SQL expression"):
                dbs.create_many(Account, [{"_login": "a"}, {"_login": func.lower("B")}], returning=returning)
        assert len(log) == 0
        dbs.create(User, email="still@x.org")  # the session is untouched
        dbs.commit()


def test_a_conflict_fails_the_batch_and_the_session_until_rolled_back_keeping_earlier_commits(
    env: Env,
) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        dbs.create(User, email="kept@x.org")
        dbs.commit()
        dbs.create(User, email="pending@x.org")  # flushed first, then undone with the batch
        rows = [{"email": f"n{n}@x.org"} for n in range(1500)] + [{"email": "kept@x.org"}]
        with pytest.raises(ConflictError) as raised:
            dbs.create_many(User, rows, returning=False)
        assert isinstance(raised.value.__cause__, IntegrityError)
        if env.backend == "postgresql":  # COPY names the line it rejected
            assert "row 1500 of create_many" in str(raised.value)
        with pytest.raises(PendingRollbackError):
            dbs.scalar(select(func.count()).select_from(User))
        dbs.rollback()
        assert dbs.scalars(select(User.email)).all() == ["kept@x.org"]


@pytest.mark.only("postgresql")  # COPY, which names the line it rejects, is PostgreSQL's
def test_a_row_the_database_rejects_in_a_copy_is_named_by_its_index(env: Env) -> None:
    with env.db.Session() as dbs:
        user = dbs.create(env.models.User, email="owner@x.org")
        rows = [{"user_id": user.id, "item": f"i{n}"} for n in range(700)]
        rows[613] = {"user_id": user.id, "item": None}  # NOT NULL, which COPY checks row by row
        with pytest.raises(IntegrityError, match=r"row 613 of create_many: .*not-null"):
            dbs.create_many(env.models.Order, rows, returning=False)
        dbs.rollback()


def test_create_many_without_returning_runs_in_the_callers_transaction_and_never_commits(env: Env) -> None:
    with env.db.Session() as dbs:
        user = dbs.create(env.models.User, email="owner@x.org")
        # The pending order's user is flushed first: the rows may refer to it.
        dbs.create_many(env.models.Order, [{"user_id": user.id, "item": "a"}], returning=False)
        dbs.rollback()
    assert stored(env, env.models.Order, "item") == []
    assert stored(env, env.models.User, "email") == []


def test_a_read_only_unit_refuses_create_many_without_returning(env: Env) -> None:
    with UnitOfWork(env.db, read_only=True) as uow, pytest.raises(ReadOnlyError):
        Repository(uow.session, env.models.User).create_many([{"email": "a@x.org"}], returning=False)


def test_create_many_without_returning_loads_through_copy_on_postgresql_only(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies: list[int] = []

    def counting(*args: Any) -> None:
        copies.append(1)
        copy_rows(*args)

    monkeypatch.setattr("datalayer._bulk_load.copy_rows", counting)
    with env.db.Session() as dbs, count_queries(env.db) as log:
        dbs.create_many(env.models.Tag, ({"label": f"t{n}"} for n in range(3000)), returning=False)
        sent = [query for query in log.statements if "t_tags" in query]
    if env.backend == "postgresql":
        assert copies == [1] and sent == []  # COPY is sent by psycopg itself
    else:
        assert copies == [] and 1 <= len(sent) <= 3  # one executemany, or multi-row INSERTs


def test_create_many_without_returning_quotes_the_names_of_tables_and_columns(env: Env) -> None:
    db = Database(env.url)

    class Awkward(db.Model):
        __tablename__ = 't_select "order"'
        id: Mapped[int] = mapped_column(primary_key=True)
        where: Mapped[str] = mapped_column("from", String(20))
        group: Mapped[int] = mapped_column('a"b', default=3)

    db.create_all()
    try:
        with db.Session() as dbs:
            assert dbs.create_many(Awkward, [{"where": "x"}], returning=False) == 1
            assert dbs.create_many(Awkward, [{"where": "y", "group": 4}] * 1500, returning=False) == 1500
            dbs.commit()
            assert dbs.scalars(select(Awkward.group).order_by(Awkward.id).limit(2)).all() == [3, 4]
    finally:
        db.drop_all()
        db.dispose()
