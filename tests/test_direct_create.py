"""``create`` sends its own INSERT where the flush has nothing to add, and the flush everywhere else."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from sqlalchemy import Identity, String, event, func, inspect, literal, select, text
from sqlalchemy.exc import InvalidRequestError, PendingRollbackError, SAWarning
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm import Session as OrmSession

from datalayer import Database, UnitOfWork, _helpers
from datalayer.errors import ConflictError, ReadOnlyError
from datalayer.testing import count_queries
from tests.conftest import Env


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether each ``create`` of the test went the direct way (True) or through the flush (False)."""
    taken: list[bool] = []
    direct = _helpers.create_directly

    def record(*args: Any) -> bool:
        try:
            taken.append(direct(*args))
        except BaseException:
            taken.append(True)  # it decides first, then raises only on the way it took
            raise
        return taken[-1]

    monkeypatch.setattr(_helpers, "create_directly", record)
    yield taken


@pytest.fixture
def direct_env(env: Env) -> Env:
    if env.engine_options:
        pytest.skip("create's direct path is off in this variant, as create_or_first's native path")
    return env


def test_create_sends_one_insert_and_leaves_a_persistent_object(direct_env: Env, paths: list[bool]) -> None:
    User = direct_env.models.User
    with direct_env.db.Session() as dbs:
        dbs.execute(select(1))
        with count_queries(direct_env.db) as log:
            user = dbs.create(User, email="a@x.org", name="Ann")
        assert paths == [True] and len(log) == 1 and "RETURNING" in log.statements[0]
        assert inspect(user).persistent and dbs.get(User, user.id) is user
        assert user.created_at is not None  # the server default, read back with the key
        assert not dbs.new and not dbs.dirty
        dbs.commit()
    with direct_env.db.Session() as dbs:
        assert [(u.email, u.name) for u in dbs.all(User)] == [("a@x.org", "Ann")]


def test_a_rollback_forgets_a_directly_created_object(direct_env: Env, paths: list[bool]) -> None:
    User = direct_env.models.User
    with direct_env.db.Session() as dbs:
        user = dbs.create(User, id=5, email="a@x.org")
        dbs.rollback()
        assert inspect(user).transient
        again = dbs.create(User, id=5, email="a@x.org")  # the key is free again, in the identity map too
        dbs.commit()
    assert paths == [True, True] and again is not user


def test_a_savepoint_rolled_back_forgets_the_object_created_inside_it(
    direct_env: Env, paths: list[bool]
) -> None:
    User = direct_env.models.User
    with direct_env.db.Session() as dbs:
        kept = dbs.create(User, email="kept@x.org")
        with dbs.begin_nested() as savepoint:
            undone = dbs.create(User, email="undone@x.org")
            savepoint.rollback()
        assert inspect(undone).transient and inspect(kept).persistent
        dbs.commit()
        assert [u.email for u in dbs.all(User)] == ["kept@x.org"]
    assert paths == [True, True]


def test_after_a_conflict_the_session_refuses_work_until_rolled_back(
    direct_env: Env, paths: list[bool]
) -> None:
    User = direct_env.models.User
    with direct_env.db.Session() as dbs:
        dbs.create(User, email="a@x.org")
        dbs.commit()
        dbs.create(User, email="b@x.org")
        with pytest.raises(ConflictError, match="roll the session back"):
            dbs.create(User, email="a@x.org")
        with pytest.raises(PendingRollbackError):
            dbs.all(User)
        dbs.rollback()
        assert [u.email for u in dbs.all(User)] == ["a@x.org"]  # the failed transaction's b@ is gone
    assert paths == [True, True, True]


def test_pending_work_goes_through_the_flush_in_foreign_key_order(env: Env, paths: list[bool]) -> None:
    models = env.models
    with env.db.Session() as dbs:
        dbs.add(models.Order(user_id=7, item="book"))  # its user is created after it
        user = dbs.create(models.User, id=7, email="a@x.org")
        dbs.commit()
        assert [o.item for o in user.orders] == ["book"]
    assert paths == [False]


def test_related_objects_go_through_the_flush_with_their_cascades(env: Env, paths: list[bool]) -> None:
    models = env.models
    with env.db.Session() as dbs:
        user = dbs.create(models.User, email="a@x.org", orders=[models.Order(item="book")])
        dbs.commit()
        assert [o.item for o in dbs.all(models.Order, user_id=user.id)] == ["book"]
    assert paths == [False]


def test_models_and_sessions_with_flush_listeners_go_through_the_flush(
    direct_env: Env, paths: list[bool]
) -> None:
    User = direct_env.models.User
    seen: list[str] = []

    def before_insert(_mapper: Any, _connection: Any, target: Any) -> None:
        seen.append(target.email)

    event.listen(User, "before_insert", before_insert)
    try:
        with direct_env.db.Session() as dbs:
            dbs.create(User, email="mapper@x.org")
            dbs.commit()
    finally:
        event.remove(User, "before_insert", before_insert)
    with direct_env.db.Session() as dbs:
        event.listen(dbs, "after_flush", lambda session, _context: seen.append("flushed"))
        dbs.create(User, email="session@x.org")
        dbs.commit()
    assert seen == ["mapper@x.org", "flushed"] and paths == [False, False]


def test_an_object_already_loaded_under_the_key_is_left_to_the_flush(
    direct_env: Env, paths: list[bool]
) -> None:
    User = direct_env.models.User
    with direct_env.db.Session() as dbs:
        loaded = dbs.create(User, id=3, email="a@x.org")  # held: the identity map is weak
        flush_warns = pytest.warns(SAWarning, match="conflicts with persistent instance")
        with flush_warns, pytest.raises(ConflictError):
            dbs.create(User, id=3, email="b@x.org")
        assert loaded.email == "a@x.org"
    assert paths == [True, False]


def test_a_read_only_unit_refuses_create_before_sending_anything(direct_env: Env) -> None:
    refused = pytest.raises(ReadOnlyError, match="1 new, 0 changed and 0 deleted")
    with UnitOfWork(direct_env.db, read_only=True) as uow, count_queries(direct_env.db) as log, refused:
        uow.session.create(direct_env.models.User, email="a@x.org")
    assert log.statements == []


def test_sql_expressions_are_rendered_and_read_back_as_stored(direct_env: Env, paths: list[bool]) -> None:
    User = direct_env.models.User
    with direct_env.db.Session() as dbs:
        user = dbs.create(User, email=func.lower("A@X.ORG"), name=literal("Ann"))
        assert (user.email, user.name) == (
            "a@x.org",
            "Ann",
        )  # the flush would leave literal()'s BindParameter
    assert paths == [True]


def test_a_none_given_to_a_column_with_a_default_leaves_the_default_to_apply(env: Env) -> None:
    Ticket = env.models.Ticket
    with env.db.Session() as dbs:
        created = dbs.create(Ticket, title="created", code=None)
        assert (created.title, created.code) == ("created", "FIXED")
        dbs.rollback()
        inserted = dbs.create_or_first(Ticket, title="inserted", code=None)  # its one-round-trip path too
        assert (inserted.title, inserted.code) == ("inserted", "FIXED")
        dbs.commit()


def test_a_flush_listener_on_every_session_sends_creates_through_the_flush(
    direct_env: Env, paths: list[bool]
) -> None:
    seen: list[int] = []

    def before_flush(session: Any, _context: Any, _instances: Any) -> None:
        seen.append(len(session.new))

    event.listen(OrmSession, "before_flush", before_flush)  # SQLAlchemy's class: every session's flushes
    try:
        with direct_env.db.Session() as dbs:
            dbs.create(direct_env.models.User, email="a@x.org")
            dbs.rollback()
    finally:
        event.remove(OrmSession, "before_flush", before_flush)
    assert seen == [1] and paths == [False]


@pytest.fixture
def keyed(direct_env: Env) -> Iterator[dict[str, Any]]:
    """Models whose key the database makes, one reading no server default back, one without RETURNING."""
    db = Database(direct_env.url)

    class Lazy(db.Model):
        __tablename__ = "t_direct_lazy"
        __mapper_args__: ClassVar[dict[str, Any]] = {"eager_defaults": False}
        id: Mapped[int] = mapped_column(Identity(), primary_key=True)
        made: Mapped[int | None] = mapped_column(server_default=text("7"))

    class Plain(db.Model):
        __tablename__ = "t_direct_plain"
        __table_args__: ClassVar[dict[str, Any]] = {"implicit_returning": False}
        id: Mapped[int] = mapped_column(primary_key=True)

    db.metadata.drop_all(db.engine)
    db.metadata.create_all(db.engine)
    yield {"db": db, "Lazy": Lazy, "Plain": Plain}
    db.metadata.drop_all(db.engine)
    db.dispose()


def test_a_key_the_database_makes_is_read_back_where_other_defaults_are_not(
    keyed: dict[str, Any], paths: list[bool]
) -> None:
    with keyed["db"].Session() as dbs:
        first, second = dbs.create(keyed["Lazy"]), dbs.create(keyed["Lazy"])
        assert (first.id, second.id) == (1, 2) and "made" in inspect(first).unloaded
        dbs.commit()
    assert paths == [True, True]


def test_a_table_without_returning_goes_through_the_flush(keyed: dict[str, Any], paths: list[bool]) -> None:
    with keyed["db"].Session() as dbs:
        assert dbs.create(keyed["Plain"]).id == 1
        dbs.commit()
    assert paths == [False]


def test_attach_listeners_see_create_before_anything_is_sent(direct_env: Env, paths: list[bool]) -> None:
    seen: list[bool] = []
    with direct_env.db.Session() as dbs:
        event.listen(dbs, "after_attach", lambda _session, obj: seen.append(inspect(obj).pending))
        dbs.create(direct_env.models.User, email="a@x.org")
        dbs.rollback()
    assert seen == [True] and paths == [False]


@pytest.mark.only("sqlite")
def test_a_failure_after_the_insert_leaves_nothing_to_commit(direct_env: Env, paths: list[bool]) -> None:
    User = direct_env.models.User
    with direct_env.db.Session() as dbs:
        gone = dbs.create(User, email="gone@x.org")
        dbs.execute(text("DELETE FROM t_users"))  # behind the session's back: SQLite reuses the id
        with pytest.raises(InvalidRequestError, match="already present in this session"):
            dbs.create(User, email="new@x.org")
        with pytest.raises(PendingRollbackError):
            dbs.commit()
        dbs.rollback()
        assert dbs.all(User) == [] and gone is not None
    assert paths == [True, True]


def test_a_sql_expression_given_to_a_column_with_a_database_default_is_read_back_as_the_flush_reads_it(
    direct_env: Env,
) -> None:
    db = Database(direct_env.url)

    class Lowered(db.Model):
        __tablename__ = "t_direct_lowered"
        id: Mapped[int] = mapped_column(primary_key=True)
        amount: Mapped[int | None]
        lowered: Mapped[str | None] = mapped_column(String(10), default=func.lower("XY"))

    db.create_all()
    try:
        shared = func.lower("AbC")  # one expression object for both columns
        unloaded: dict[str, set[str]] = {}
        for path, engine in (
            ("direct", db.engine),
            ("flush", db.engine.execution_options(datalayer_native_inserts=False)),
        ):
            with db.Session(bind=engine) as dbs:
                made = dbs.create(Lowered, amount=func.abs(-4), lowered=shared)
                unloaded[path] = set(inspect(made).unloaded)
                assert made.lowered == "abc"
                assert made.amount == 4
        assert unloaded["direct"] == unloaded["flush"]
    finally:
        db.drop_all()
        db.dispose()
