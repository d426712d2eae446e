"""upsert and the model: Python-side onupdate values; the models and keys refused before anything is sent."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import ForeignKey, Index, String, func, select
from sqlalchemy.exc import PendingRollbackError
from sqlalchemy.orm import Mapped, column_property, mapped_column

from datalayer import Database, UnitOfWork
from datalayer._upsert import plan
from datalayer.errors import ConflictError, ReadOnlyError, UnknownAttributeError, UsageError
from tests.conftest import Env


@dataclass
class Own:
    db: Database
    Counter: Any
    Versioned: Any
    Special: Any
    Coded: Any
    Stamped: Any


@pytest.fixture
def own(env: Env) -> Iterator[Own]:
    """Models of this module's own, on ``env``'s database."""
    db = Database(env.url, **env.engine_options)
    stamps = itertools.count(42)

    class Counter(db.Model):
        __tablename__ = "t_upsert_counters"
        id: Mapped[int] = mapped_column(primary_key=True)
        key: Mapped[str] = mapped_column(String(20), unique=True)
        alias: Mapped[str | None] = mapped_column(String(20), unique=True)
        hits: Mapped[int] = mapped_column(default=0)
        state: Mapped[str] = mapped_column(String(20), default="new", onupdate="updated")
        stamp: Mapped[int | None] = mapped_column(onupdate=lambda: next(stamps))
        computed: Mapped[int | None] = mapped_column(onupdate=func.abs(-3))

    Counter.alias_length = column_property(func.length(Counter.__table__.c.alias))

    class Versioned(db.Model):
        __tablename__ = "t_upsert_versioned"
        id: Mapped[int] = mapped_column(primary_key=True)
        key: Mapped[str] = mapped_column(String(20), unique=True)
        version: Mapped[int] = mapped_column()
        __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    class Special(Counter):
        """Single-table inheritance: upsert refuses it, as the flush would insert it differently."""

    class Coded(db.Model):
        __tablename__ = "t_upsert_coded"
        id: Mapped[int] = mapped_column(primary_key=True)
        code: Mapped[str] = mapped_column(String(20))
        counter_id: Mapped[int | None] = mapped_column(ForeignKey("t_upsert_counters.id"))
        __table_args__ = (
            Index(
                "ix_t_upsert_coded", "code", unique=True, sqlite_where=code != "", postgresql_where=code != ""
            ),
        )

    class Stamped(db.Model):
        __tablename__ = "t_upsert_stamped"
        id: Mapped[int] = mapped_column(primary_key=True)
        key: Mapped[str] = mapped_column(String(20), unique=True)
        at: Mapped[str | None] = mapped_column(String(20), onupdate=lambda context: context.engine.name)

    db.metadata.drop_all(db.engine)
    db.metadata.create_all(db.engine)
    yield Own(db, Counter, Versioned, Special, Coded, Stamped)
    db.metadata.drop_all(db.engine)
    db.dispose()


def test_the_update_sets_the_python_side_onupdate_values_of_the_columns_not_given(own: Own) -> None:
    with UnitOfWork(own.db) as uow:
        made = uow.session.upsert(own.Counter, match=("key",), key="k", hits=1)
        assert (made.state, made.stamp, made.computed) == ("new", None, None)
        again = uow.session.upsert(own.Counter, match=("key",), key="k", hits=2)
        assert (again.hits, again.state, again.computed) == (2, "updated", 3)
        stamped = again.stamp
        assert isinstance(stamped, int)
        given = [{"key": "k", "hits": 3, "state": "given"}]
        [many] = uow.repository(own.Counter).upsert_many(given, match="key")
        assert (many.hits, many.state) == (3, "given")  # a value given wins over the onupdate
        assert many.stamp > stamped  # the function is called for each statement, never cached
        before = many.stamp
        assert uow.session.upsert_many(own.Counter, given, match="key")[0].stamp > before


def test_a_sql_expression_of_the_model_is_reloaded_from_the_stored_row(own: Own) -> None:
    with own.db.Session() as dbs:
        made = dbs.upsert(own.Counter, match=("key",), key="k", alias="ab")
        assert made.alias_length == 2
        assert dbs.upsert(own.Counter, match=("key",), key="k", alias="abcd") is made
        assert made.alias_length == 4
        dbs.upsert_many(own.Counter, [{"key": "k", "alias": "abcdef"}], match=("key",))
        assert made.alias_length == 6


def test_a_row_holding_another_unique_value_is_left_as_it_was(own: Own, env: Env) -> None:
    Counter = own.Counter
    with own.db.Session() as dbs:
        dbs.upsert(Counter, match=("key",), key="k1", alias="a", hits=1)
        dbs.commit()
        with pytest.raises(ConflictError, match="upsert of Counter"):
            dbs.upsert(Counter, match=("key",), key="k2", alias="a", hits=99)  # alias a is k1's
        with pytest.raises(PendingRollbackError):  # on MariaDB too, whose statement raised nothing
            dbs.execute(select(Counter.hits))
        dbs.rollback()
        assert [(c.key, c.hits, c.state) for c in dbs.all(Counter)] == [("k1", 1, "new")]


@pytest.mark.parametrize(
    ("model", "values", "message"),
    [
        ("Versioned", {"key": "k", "version": 1}, "version counter"),
        ("Special", {"key": "k"}, "inheritance"),
        ("Coded", {"code": "c"}, "no unique constraint or primary key is on exactly these"),
        ("Stamped", {"key": "k"}, "at's onupdate function takes SQLAlchemy's execution context"),
    ],
)
def test_models_whose_upsert_would_go_wrong_are_refused_before_anything_is_sent(
    own: Own, model: str, values: dict[str, Any], message: str
) -> None:
    (match,) = [name for name in values if name != "version"]
    with own.db.Session() as dbs, pytest.raises(UsageError, match=message):
        dbs.upsert(getattr(own, model), match=(match,), **values)
    with own.db.Session() as dbs, pytest.raises(UsageError, match=message):
        dbs.upsert_many(getattr(own, model), [values], match=(match,))


def test_an_upserts_names_are_checked_once_per_model_and_names_and_a_refusal_every_time(
    own: Own, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[tuple[str, ...]] = []
    check_insertable = plan.check_insertable

    def counted(mapper: Any, names: tuple[str, ...], **options: Any) -> None:
        checks.append(names)
        check_insertable(mapper, names, **options)

    monkeypatch.setattr(plan, "check_insertable", counted)
    with own.db.Session() as dbs:
        for hits in range(3):
            dbs.upsert(own.Counter, match="key", key="k", hits=hits)
        for _ in range(2):
            with pytest.raises(UnknownAttributeError, match="hist"):
                dbs.upsert(own.Counter, match="key", key="k", hist=1)
        assert dbs.upsert(own.Counter, match="key", key="k", hits=7).hits == 7
    assert checks == [("key", "hits"), ("key", "hist"), ("key", "hist")]


def test_a_read_only_unit_refuses_upsert_and_upsert_many(env: Env) -> None:
    User = env.models.User
    with UnitOfWork(env.db, read_only=True) as uow:
        with pytest.raises(ReadOnlyError, match=r"upsert\(User\) was refused"):
            uow.session.upsert(User, match=("email",), email="a@x.org")
        with pytest.raises(ReadOnlyError, match=r"upsert\(User\) was refused"):
            uow.repository(User).upsert_many([{"email": "a@x.org"}], match=("email",))
    with env.db.Session() as dbs:
        assert dbs.all(User) == []


def test_upsert_runs_on_any_sqlalchemy_session_and_on_the_scoped_session(env: Env) -> None:
    from sqlalchemy.orm import Session as PlainSession

    from repositories import Repository

    User = env.models.User
    with PlainSession(env.db.engine) as plain:
        Repository(plain, User).upsert(match=("email",), email="a@x.org", name="plain")
        plain.commit()
    try:
        assert env.db.s.upsert(User, match=("email",), email="a@x.org", name="scoped").name == "scoped"
        env.db.s.upsert_many(User, [{"email": "b@x.org", "name": "scoped"}], match=("email",))
        env.db.s.commit()
    finally:
        env.db.s.remove()
    with env.db.Session() as dbs:
        assert [(u.email, u.name) for u in dbs.all(User)] == [("a@x.org", "scoped"), ("b@x.org", "scoped")]
