"""The one-round-trip create_or_first behaves as a flush would: SQL expressions, session events.

Run on every backend and strategy: where the native path is not taken, the same
promises hold on the SAVEPOINT path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import String, event, func, select
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, Session, column_property, mapped_column

from datalayer import Database, UnitOfWork
from datalayer._create_or_first.native import native_columns
from datalayer.testing import count_queries
from tests.conftest import Env


@pytest.fixture
def labelled(env: Env) -> Iterator[tuple[Database, type[Any]]]:
    """A model with a SQL expression loaded with its columns (not deferred), on ``env``'s database."""
    db = Database(env.url, **env.engine_options)

    class Label(db.Model):
        __tablename__ = "t_labels"
        id: Mapped[int] = mapped_column(primary_key=True)
        text: Mapped[str] = mapped_column(String(50), unique=True)

    Label.size = column_property(func.length(Label.__table__.c.text))
    db.metadata.drop_all(db.engine)
    db.metadata.create_all(db.engine)
    yield db, Label
    db.metadata.drop_all(db.engine)
    db.dispose()


@pytest.mark.parametrize("helper", ["create_or_first", "first_or_create"])
def test_a_model_with_a_sql_expression_is_created_and_its_expression_loads(
    labelled: tuple[Database, type[Any]], helper: str
) -> None:
    db, Label = labelled
    with UnitOfWork(db) as uow:
        made = getattr(uow.session, helper)(Label, text="four")
        assert made.size == 4
        assert getattr(uow.session, helper)(Label, text="four") is made
    with db.Session() as dbs:
        assert [(label.text, label.size) for label in dbs.scalars(select(Label))] == [("four", 4)]


def test_a_sql_expression_given_as_a_value_is_inserted_as_a_flush_would(
    labelled: tuple[Database, type[Any]],
) -> None:
    db, Label = labelled
    with UnitOfWork(db) as uow:
        made = uow.session.create_or_first(Label, text=func.lower("LOUD"))
        assert (made.text, made.size) == ("loud", 4)
        assert uow.session.create_or_first(Label, text="quiet").text == "quiet"  # bound values still work
        again = uow.session.create_or_first(Label, text=func.lower("LOUD"))
        assert again is made
        assert uow.session.first(Label, text=func.lower("LOUD")) is made  # compared as SQL, not bound
        assert uow.session.first_or_create(Label, text=func.lower("QUIET")).text == "quiet"
    with db.Session() as dbs:
        assert sorted(dbs.scalars(select(Label.text))) == ["loud", "quiet"]


def test_a_model_with_a_deferred_sql_expression_is_created_too(env: Env) -> None:
    Seat = env.models.Seat
    with UnitOfWork(env.db) as uow:
        seat = uow.session.create_or_first(Seat, row="AB", number=7)
        assert seat.row_length == 2
        assert uow.session.create_or_first(Seat, row="AB", number=7) is seat


def test_flush_listeners_see_what_create_or_first_makes(env: Env) -> None:
    User = env.models.User
    seen: list[tuple[str, str]] = []

    def stamp(session: Session, _context: Any, _instances: Any) -> None:
        for obj in session.new:
            if isinstance(obj, User):
                obj.name = "stamped"  # an audit column set by a before_flush hook
                seen.append(("before_flush", obj.email))

    def after(session: Session, _context: Any) -> None:
        seen.extend(("after_flush", obj.email) for obj in session.new if isinstance(obj, User))

    with UnitOfWork(env.db) as uow:
        event.listen(uow.session, "before_flush", stamp)
        event.listen(uow.session, "after_flush", after)
        assert native_columns(uow.session, User.__mapper__, User(email="probe@x.org")) is None
        made = uow.session.create_or_first(User, email="a@x.org")
        found = uow.session.first_or_create(User, email="b@x.org")
    assert ("before_flush", "a@x.org") in seen and ("after_flush", "a@x.org") in seen
    assert ("before_flush", "b@x.org") in seen and ("after_flush", "b@x.org") in seen
    with env.db.Session() as dbs:
        assert {(u.email, u.name) for u in dbs.all(User)} == {("a@x.org", "stamped"), ("b@x.org", "stamped")}
    assert made.email == "a@x.org" and found.email == "b@x.org"


def test_the_native_path_is_kept_when_only_datalayers_own_listeners_are_there(env: Env) -> None:
    native = not env.engine_options
    with env.db.Session() as dbs:
        User = env.models.User
        taken = native_columns(dbs, User.__mapper__, User(email="probe@x.org")) is not None
    assert taken == native


def test_create_or_first_reads_back_a_key_set_by_the_constructor(env: Env) -> None:
    db = Database(env.url, **env.engine_options)

    class Handle(db.Model):
        __tablename__ = "t_handles"
        id: Mapped[int] = mapped_column(primary_key=True)
        handle: Mapped[str] = mapped_column(String(30), unique=True)

        @hybrid_property
        def at(self) -> str:
            return "@" + self.handle

        @at.inplace.setter
        def _at_setter(self, value: str) -> None:
            self.handle = value.removeprefix("@")

        @at.inplace.expression
        @classmethod
        def _at_expression(cls) -> Any:
            return "@" + cls.handle

    db.metadata.drop_all(db.engine)
    db.metadata.create_all(db.engine)
    try:
        with UnitOfWork(db) as uow:
            ann = uow.session.create_or_first(Handle, at="@ann")
        with UnitOfWork(db) as uow:  # the unique handle was set by the hybrid: read back by it
            assert uow.session.create_or_first(Handle, at="@ann").id == ann.id
    finally:
        db.metadata.drop_all(db.engine)
        db.dispose()


@pytest.mark.only("postgresql")
def test_create_or_first_recovers_when_the_server_lost_a_statement_psycopg_prepared(env: Env) -> None:
    if env.engine_options:
        pytest.skip("the pipelined savepoint belongs to the one-round-trip path, off in this variant")
    User = env.models.User
    try:
        with UnitOfWork(env.db) as uow:
            for n in range(8):  # psycopg prepares a statement from its fifth run on
                uow.session.create_or_first(User, email=f"warm{n}@x.org")
            uow.session.create(User, email="kept@x.org")
            dbapi_connection = uow.session.connection().connection.dbapi_connection
            assert dbapi_connection is not None
            dbapi_connection.pgconn.exec_(b"DEALLOCATE ALL")  # behind psycopg's back
            made = uow.session.create_or_first(User, email="after@x.org")
            assert uow.session.create_or_first(User, email="after@x.org") is made
    finally:
        # The pooled connection still believes in the other statements it prepared (the
        # tests' own clean-up among them): close it rather than hand it to the next test.
        env.db.engine.dispose()
    with env.db.Session() as dbs:
        assert {"kept@x.org", "after@x.org"} <= {u.email for u in dbs.all(User)}


def test_create_or_first_sends_one_statement_on_a_new_key_and_two_on_an_existing_one(env: Env) -> None:
    User = env.models.User
    with UnitOfWork(env.db) as uow:
        uow.session.create(User, email="warm@x.org")  # the connection and its first statements
        with count_queries(env.db) as new:
            made = uow.session.create_or_first(User, email="a@x.org")
        uow.session.expunge(made)  # read back from the database, not the identity map
        with count_queries(env.db) as existing:
            found = uow.session.create_or_first(User, email="a@x.org")
    assert found.id == made.id
    if env.engine_options:  # the SAVEPOINT path: SAVEPOINT, INSERT, RELEASE at least
        assert new.round_trips >= 3, new.report()
        return
    assert (new.round_trips, len(new)) == (1, 1), new.report()  # the INSERT
    assert (existing.round_trips, len(existing)) == (2, 2), existing.report()  # the INSERT, the re-read
    assert existing.statements[0].lstrip().upper().startswith("INSERT"), existing.report()
