"""A rollback forgets the rows the helpers inserted in it, however they were sent, and keeps what was loaded.

A flush records the objects it inserts so that a rollback expunges them. The
helpers that insert without a flush (``create``'s one statement, the native
create_or_first, ``create_many``'s and the upserts' ``INSERT .. RETURNING``)
must leave no object behind either: on SQLite, which reuses row ids, it would
load another row's data.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, inspect

from datalayer import Session
from tests.conftest import Env

INSERTERS: dict[str, Callable[[Session, Any, str], Any]] = {
    "create": lambda dbs, User, email: dbs.create(User, email=email),
    "create_or_first": lambda dbs, User, email: dbs.create_or_first(User, email=email),
    "create_many": lambda dbs, User, email: dbs.create_many(User, [{"email": email}])[0],
    "upsert": lambda dbs, User, email: dbs.upsert(User, match="email", email=email, name="n"),
    "upsert_many": lambda dbs, User, email: dbs.upsert_many(
        User, [{"email": email, "name": "n"}], match="email"
    )[0],
}


@pytest.mark.parametrize("helper", INSERTERS)
def test_a_rollback_forgets_the_rows_a_helper_inserted(env: Env, helper: str) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        gone = INSERTERS[helper](dbs, User, "gone@x.org")
        dbs.rollback()
        assert inspect(gone).transient
        reused = dbs.create(User, email="new@x.org")  # SQLite gives it the id the rolled back row had
        dbs.commit()
        assert [(u.id, u.email) for u in dbs.all(User)] == [(reused.id, "new@x.org")]
        assert gone.email == "gone@x.org"


@pytest.mark.parametrize("helper", ["upsert", "upsert_many"])
def test_a_rollback_keeps_an_object_loaded_before_an_upsert_updated_it(env: Env, helper: str) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        loaded = dbs.create(User, email="a@x.org", name="before")
        dbs.commit()
        assert INSERTERS[helper](dbs, User, "a@x.org") is loaded and loaded.name == "n"
        dbs.rollback()
        assert inspect(loaded).persistent and loaded.name == "before"


def test_a_savepoint_rolled_back_forgets_the_rows_inserted_inside_it_alone(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        kept = dbs.create_many(User, [{"email": "kept@x.org"}])[0]
        with dbs.begin_nested() as savepoint:
            gone = dbs.upsert(User, match="email", email="gone@x.org")
            savepoint.rollback()
        assert inspect(gone).transient and inspect(kept).persistent
        dbs.commit()
        assert [u.email for u in dbs.all(User)] == ["kept@x.org"]


@pytest.mark.parametrize("helper", ["upsert", "upsert_many"])
def test_a_savepoint_rolled_back_restores_an_object_an_upsert_updated(env: Env, helper: str) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        dbs.create(User, email="a@x.org", name="before")
        dbs.commit()
        loaded = dbs.first(User, email="a@x.org")
        with dbs.begin_nested() as savepoint:
            INSERTERS[helper](dbs, User, "a@x.org")
            savepoint.rollback()
        assert loaded is not None and loaded.name == "before"  # read again, not the undone "n"
        loaded.name += "!"
        dbs.commit()
        assert [u.name for u in dbs.all(User)] == ["before!"]


def test_objects_collected_meanwhile_are_never_taken_for_the_ones_an_upsert_made(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        dbs.create_many(User, [{"email": f"old{n}@x.org"} for n in range(50)])
        dbs.commit()
    collect = lambda *_: gc.collect()  # noqa: E731 - frees the loaded objects while the statement runs
    event.listen(env.db.engine, "after_cursor_execute", collect)
    gc.disable()
    try:
        with env.db.Session() as dbs:
            for user in dbs.all(User):
                user.me = user  # a cycle: only the collector frees it
            del user
            made = dbs.upsert_many(
                User, [{"email": f"new{n}@x.org", "name": "n"} for n in range(50)], match="email"
            )
            one = dbs.upsert(User, match="email", email="one@x.org", name="n")
            dbs.rollback()
            assert [o for o in [*made, one] if not inspect(o).transient] == []
    finally:
        gc.enable()
        event.remove(env.db.engine, "after_cursor_execute", collect)
