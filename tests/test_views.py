"""Views read through the session helpers: the ORM's rows, in the session's transaction, never tracked."""

from __future__ import annotations

import attrs
import pytest
from sqlalchemy import ForeignKey, String, event, func, orm, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, mapped_column

from datalayer import Database, Session, UnitOfWork, _helpers, view
from datalayer.errors import ForeignModelError, TransactionAbortedError, UnknownAttributeError, UsageError
from datalayer.testing import count_queries
from tests._views import paths, views
from tests.conftest import Env, EnvFactory


def seed_users(env: Env, *emails: str) -> list[int]:
    with env.db.Session() as dbs:
        users = [dbs.create(env.models.User, email=email, name=email.split("@")[0]) for email in emails]
        dbs.commit()
        return [user.id for user in users]


def test_first_and_all_return_views_by_primary_key_which_the_session_does_not_track(env: Env) -> None:
    ids = seed_users(env, "b@x.org", "a@x.org", "c@x.org")
    UserRow = views(env).UserRow
    with env.db.Session() as dbs:
        assert dbs.first(UserRow, email="a@x.org") == UserRow(ids[1], "a@x.org")
        assert dbs.all(UserRow) == [
            UserRow(n, e) for n, e in zip(ids, ["b@x.org", "a@x.org", "c@x.org"], strict=True)
        ]
        assert dbs.first(UserRow) == UserRow(ids[0], "b@x.org")
        assert dbs.first(UserRow, email="nobody@x.org") is None
        assert dbs.all(UserRow, email="nobody@x.org") == []
        assert len(dbs.identity_map) == 0 and not dbs.new  # nothing loaded, nothing tracked


def test_attrs_classes_dataclasses_and_named_tuples_read_the_same_row(env: Env) -> None:
    (user_id,) = seed_users(env, "ann@x.org")
    v = views(env)
    with env.db.Session() as dbs:
        assert dbs.first(v.UserRow, id=user_id) == v.UserRow(user_id, "ann@x.org")
        assert dbs.first(v.UserContact, id=user_id) == v.UserContact("ann", "ann@x.org")
        assert dbs.first(v.UserPair, id=user_id) == v.UserPair(user_id, "ann")
        assert type(dbs.first(v.UserPair, id=user_id)) is v.UserPair


def test_a_filter_may_name_any_column_attribute_of_the_model_not_only_the_views_fields(env: Env) -> None:
    ids = seed_users(env, "ann@x.org", "bob@x.org")
    UserRow = views(env).UserRow
    with env.db.Session() as dbs:
        assert dbs.all(UserRow, name="bob") == [
            UserRow(ids[1], "bob@x.org")
        ]  # name is not a field of UserRow
        assert dbs.first(UserRow, name="bob", email="bob@x.org") == UserRow(ids[1], "bob@x.org")


def test_none_compares_with_is_null(env: Env) -> None:
    with env.db.Session() as dbs:
        nameless = dbs.create(env.models.User, email="n@x.org", name=None)
        named = dbs.create(env.models.User, email="m@x.org", name="m")
        UserPair = views(env).UserPair
        assert dbs.all(UserPair, name=None) == [UserPair(nameless.id, None)]
        assert dbs.all(UserPair, name="m") == [UserPair(named.id, "m")]  # the other shape, after None


def test_filters_the_model_helpers_accept_beyond_columns_work_on_views(env: Env) -> None:
    with env.db.Session() as dbs:
        ann = dbs.create(env.models.User, email="ann@x.org")
        bob = dbs.create(env.models.User, email="bob@x.org")
        order = dbs.create(env.models.Order, user_id=bob.id, item="chair")
        dbs.create(env.models.Order, user_id=ann.id, item="desk")
        v = views(env)
        assert dbs.all(v.OrderRow, user=bob) == [v.OrderRow(order.id, "chair")]  # a relationship
        assert dbs.first(v.UserRow, email=func.lower("BOB@X.ORG")) == v.UserRow(bob.id, "bob@x.org")  # SQL
        account = dbs.create(env.models.Account, login="acc", first_name="Ann", last_name="Lee")
        assert dbs.first(v.AccountRow, full_name="Ann Lee").id == account.id  # a hybrid's expression
        assert dbs.first(v.AccountRow, login="acc").id == account.id  # a synonym


def test_an_unusable_filter_is_refused_before_anything_is_sent(env: Env) -> None:
    UserRow = views(env).UserRow
    with env.db.Session() as dbs, count_queries(env.db) as log:
        with pytest.raises(UnknownAttributeError, match="User has no mapped attribute 'emial'"):
            dbs.first(UserRow, emial="a@x.org")
        with pytest.raises(UsageError, match="collection"):
            dbs.all(UserRow, orders=[])
    assert len(log) == 0


def test_values_are_bound_never_written_into_the_sql(env: Env) -> None:
    (user_id,) = seed_users(env, "o'brien@x.org")
    awkward = "o'brien@x.org' OR '1'='1"
    UserRow = views(env).UserRow
    with env.db.Session() as dbs, count_queries(env.db) as log:
        assert dbs.first(UserRow, email="o'brien@x.org") == UserRow(user_id, "o'brien@x.org")
        assert dbs.all(UserRow, email=awkward) == []
        assert dbs.get(UserRow, user_id) == UserRow(user_id, "o'brien@x.org")
    assert len(log) == 3 and not any("brien" in statement for statement in log.statements)


def test_a_read_sees_the_sessions_pending_objects_flushed_first(env: Env) -> None:
    UserRow = views(env).UserRow
    with env.db.Session() as dbs:
        user = env.models.User(email="pending@x.org")
        dbs.add(user)  # not flushed
        found = dbs.first(UserRow, email="pending@x.org")
        assert found is not None and found == UserRow(user.id, "pending@x.org") and user.id is not None
        user.email = "changed@x.org"  # dirty, not flushed
        assert dbs.all(UserRow) == [UserRow(user.id, "changed@x.org")]
        dbs.delete(user)
        assert dbs.get(UserRow, found.id) is None


def test_no_autoflush_and_a_session_without_autoflush_leave_pending_objects_unsent(env: Env) -> None:
    UserRow = views(env).UserRow
    with env.db.Session() as dbs:
        dbs.add(env.models.User(email="pending@x.org"))
        with dbs.no_autoflush:
            assert dbs.first(UserRow, email="pending@x.org") is None
            assert dbs.all(UserRow) == []
        assert dbs.first(UserRow, email="pending@x.org") is not None  # flushed now
    with env.db.Session(autoflush=False) as dbs:
        dbs.add(env.models.User(email="other@x.org"))
        assert dbs.all(UserRow) == []
        assert len(dbs.new) == 1


def test_a_read_runs_in_the_sessions_transaction_and_sees_only_what_it_may(env: Env) -> None:
    UserRow = views(env).UserRow
    with env.db.Session() as writer, env.db.Session() as other:
        created = writer.create(env.models.User, email="uncommitted@x.org")
        assert writer.first(UserRow, email="uncommitted@x.org") == UserRow(created.id, "uncommitted@x.org")
        if env.backend != "sqlite":  # SQLite's one writer: the other session would wait for the lock
            assert other.first(UserRow, email="uncommitted@x.org") is None
            other.rollback()
        writer.rollback()
        assert writer.first(UserRow, email="uncommitted@x.org") is None


def test_the_query_counter_counts_every_view_read(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    (user_id,) = seed_users(env, "a@x.org")
    UserRow = views(env).UserRow
    with env.db.Session() as dbs, paths(monkeypatch) as taken:
        dbs.first(UserRow)  # the transaction begins, outside the count
        with count_queries(env.db) as log:
            dbs.first(UserRow, email="a@x.org")
            dbs.all(UserRow, name="a")
            dbs.get(UserRow, user_id)
        assert len(log) == 3 and all(statement.startswith("SELECT") for statement in log.statements)
        assert taken == ["raw", "core", "core", "core"]  # heard by the counter: SQLAlchemy's execution
        dbs.first(UserRow, email="a@x.org")
        assert taken[-1] == "raw"  # nothing listens any more


def test_a_model_of_another_database_is_refused_before_anything_is_sent(
    env: Env, make_env: EnvFactory
) -> None:
    other = make_env()
    UserRow = views(other).UserRow
    with env.db.Session() as dbs, count_queries(env.db) as log:
        with pytest.raises(ForeignModelError, match="User belongs to another Database"):
            dbs.first(UserRow, email="a@x.org")
        with pytest.raises(ForeignModelError):
            dbs.get(UserRow, 1)
    assert len(log) == 0


def test_get_takes_the_primary_key_as_a_value_a_tuple_or_by_name(env: Env) -> None:
    SeatRow = views(env).SeatRow
    UserRow = views(env).UserRow
    (user_id,) = seed_users(env, "a@x.org")
    with env.db.Session() as dbs:
        dbs.create(env.models.Seat, row="B", number=2)
        dbs.create(env.models.Seat, row="A", number=2)
        assert dbs.get(UserRow, user_id) == UserRow(user_id, "a@x.org")
        assert dbs.get(UserRow, (user_id,)) == UserRow(user_id, "a@x.org")
        assert dbs.get(UserRow, -1) is None
        assert dbs.get(SeatRow, ("A", 2)) == SeatRow("A", 2)
        assert dbs.get(SeatRow, {"row": "B", "number": 2}) == SeatRow("B", 2)
        with pytest.raises(
            UsageError, match=r"get\(\) of SeatRow takes 2 primary key values \(row, number\)"
        ):
            dbs.get(SeatRow, "A")
        with pytest.raises(UsageError, match="takes Seat's primary key"):
            dbs.get(SeatRow, {"row": "A"})
        with pytest.raises(UsageError, match="takes no options, not populate_existing"):
            dbs.get(UserRow, user_id, populate_existing=True)


def test_get_of_a_model_is_sqlalchemys_own_with_its_options(env: Env) -> None:
    with env.db.Session() as dbs:
        user = dbs.create(env.models.User, email="a@x.org", name="before")
        dbs.execute(env.db.select(env.models.User).where(env.models.User.id == user.id))  # no change
        assert dbs.get(env.models.User, user.id) is user  # from the identity map
        dbs.connection().execute(
            env.models.User.__table__.update().values(name="after")  # behind the ORM's back
        )
        assert dbs.get(env.models.User, user.id).name == "before"  # type: ignore[union-attr]
        assert dbs.get(env.models.User, user.id, populate_existing=True).name == "after"  # type: ignore[union-attr]


def test_the_scoped_session_reads_views(env: Env) -> None:
    (user_id,) = seed_users(env, "a@x.org")
    UserRow = views(env).UserRow
    try:
        assert env.db.s.first(UserRow, email="a@x.org") == UserRow(user_id, "a@x.org")
        assert env.db.s.all(UserRow) == [UserRow(user_id, "a@x.org")]
        assert env.db.s.get(UserRow, user_id) == UserRow(user_id, "a@x.org")
    finally:
        env.db.s.remove()


def test_enum_columns_and_an_attribute_named_apart_from_its_column_read_as_the_orm_holds_them(
    env: Env,
) -> None:
    AccountRow = views(env).AccountRow
    Status = env.models.Account.status.type.enum_class
    with env.db.Session() as dbs:
        account = dbs.create(env.models.Account, login="ann", status=Status.SUSPENDED, plan=Status.ACTIVE)
        assert dbs.first(AccountRow, status=Status.SUSPENDED) == AccountRow(
            account.id, "ann", Status.SUSPENDED, Status.ACTIVE
        )
        assert dbs.first(AccountRow, _login="ann") == dbs.first(AccountRow, plan=Status.ACTIVE)


def test_a_failed_read_fails_as_the_same_statement_through_sqlalchemy_would(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    UserRow = views(env).UserRow
    failures: list[tuple[type[BaseException], str]] = []
    for counted in (False, True):  # raw, then heard by the counter: SQLAlchemy's execution
        with env.db.Session() as dbs:
            dbs.first(UserRow)
            dbs.connection().exec_driver_sql("DROP TABLE t_orders")  # ends MariaDB's transaction
            listening = count_queries(env.db) if counted else paths(monkeypatch)
            with listening, pytest.raises(Exception) as raised:  # whatever SQLAlchemy raises, compared below
                dbs.first(views(env).OrderRow, item="x")
            failures.append((type(raised.value), str(raised.value).splitlines()[0]))
            dbs.rollback()
        env.db.create_all()
    assert failures[0] == failures[1]
    assert failures[0][0].__module__ == "sqlalchemy.exc"  # wrapped as SQLAlchemy wraps the driver's


def test_reads_keep_working_when_a_listener_comes_and_goes(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    (user_id,) = seed_users(env, "a@x.org")
    UserRow = views(env).UserRow
    heard: list[str] = []

    def listen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        heard.append(statement)

    with env.db.Session() as dbs, paths(monkeypatch) as taken:
        assert dbs.first(UserRow, id=user_id) == UserRow(user_id, "a@x.org")
        event.listen(env.db.engine, "after_cursor_execute", listen)
        try:
            assert dbs.first(UserRow, id=user_id) == UserRow(user_id, "a@x.org")
        finally:
            event.remove(env.db.engine, "after_cursor_execute", listen)
        assert dbs.first(UserRow, id=user_id) == UserRow(user_id, "a@x.org")
    assert taken == ["raw", "core", "raw"]
    assert len(heard) == 1 and "t_users" in heard[0]


def test_a_read_of_a_session_that_must_be_rolled_back_says_so(env: Env) -> None:
    UserRow = views(env).UserRow
    seed_users(env, "a@x.org")
    with env.db.Session() as dbs:
        dbs.add(env.models.User(email="a@x.org"))  # a duplicate: its flush fails
        with pytest.raises(Exception, match=r"UNIQUE|Duplicate|duplicate"):
            dbs.first(UserRow)
        with pytest.raises(Exception, match="rolled back"):
            dbs.first(UserRow)
        dbs.rollback()
        assert [row.email for row in dbs.all(UserRow)] == ["a@x.org"]


def test_select_of_the_views_columns_works_with_the_sessions_own_execute(env: Env) -> None:
    (user_id,) = seed_users(env, "a@x.org")
    UserRow = views(env).UserRow
    with env.db.Session() as dbs:
        statement = select(env.models.User.id, env.models.User.email)
        assert [UserRow(*row) for row in dbs.execute(statement)] == [UserRow(user_id, "a@x.org")]


def test_a_read_on_a_plain_sqlalchemy_session_works_too(env: Env) -> None:
    (user_id,) = seed_users(env, "a@x.org")
    UserRow = views(env).UserRow
    with orm.Session(env.db.engine) as plain:
        assert _helpers.first(plain, UserRow, email="a@x.org") == UserRow(user_id, "a@x.org")
        assert not isinstance(plain, Session)


@pytest.mark.only("postgresql")  # where a failed statement aborts the whole transaction
def test_a_failed_read_caught_inside_a_unit_still_refuses_its_commit(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    UserRow = views(env).UserRow
    with pytest.raises(TransactionAbortedError, match="DataError"), UnitOfWork(env.db) as uow:
        with paths(monkeypatch) as taken:
            uow.session.create(env.models.User, email="lost@x.org")
            with pytest.raises(DBAPIError, match="out of range"):
                uow.session.first(UserRow, id=2**40)  # beyond INTEGER: the server fails the statement
        assert taken == ["raw"]  # the raw path's failure reached the guard as SQLAlchemy's would
    with env.db.Session() as dbs:
        assert dbs.first(UserRow, email="lost@x.org") is None


@pytest.mark.parametrize(
    "options",
    [{"echo": True}, {"execution_options": {"schema_translate_map": {None: None}}}],
    ids=["echo", "schema translation"],
)
def test_an_engine_that_logs_or_translates_its_statements_reads_through_sqlalchemy(
    make_env: EnvFactory, monkeypatch: pytest.MonkeyPatch, options: dict[str, object]
) -> None:
    made = make_env(**options)
    UserRow = views(made).UserRow
    with made.db.Session() as dbs, paths(monkeypatch) as taken:
        user = dbs.create(made.models.User, email="a@x.org")
        assert dbs.first(UserRow, email="a@x.org") == UserRow(user.id, "a@x.org")
    assert taken == ["core"]


def test_a_listener_on_the_connection_itself_hears_view_reads(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    (user_id,) = seed_users(env, "a@x.org")
    UserRow = views(env).UserRow
    heard: list[str] = []
    with env.db.Session() as dbs, paths(monkeypatch) as taken:
        connection = dbs.connection()
        event.listen(connection, "before_cursor_execute", lambda *args: heard.append(args[2]))
        assert dbs.get(UserRow, user_id) == UserRow(user_id, "a@x.org")
    assert taken == ["core"] and len(heard) == 1


def test_views_of_inherited_models_read_what_the_orm_loads(env: Env) -> None:
    if env.engine_options:
        pytest.skip("the same reads whichever path create_or_first takes")
    db = Database(env.url)

    class Staff(db.Model):
        __tablename__ = "t_view_staff"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        name: Mapped[str] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "staff"}  # noqa: RUF012

    class Manager(Staff):  # single table
        __mapper_args__ = {"polymorphic_identity": "manager"}  # noqa: RUF012

    class Engineer(Staff):  # a table of its own, joined
        __tablename__ = "t_view_engineers"
        id: Mapped[int] = mapped_column(ForeignKey("t_view_staff.id"), primary_key=True)
        language: Mapped[str] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_identity": "engineer"}  # noqa: RUF012

    @view(Manager)
    @attrs.frozen
    class ManagerRow:
        id: int
        name: str

    @view(Engineer)
    @attrs.frozen
    class EngineerRow:
        id: int
        name: str
        language: str

    db.create_all()
    try:
        with db.Session() as dbs:
            dbs.add_all([Staff(name="s"), Manager(name="m"), Engineer(name="e", language="py")])
            dbs.flush()
            assert [(row.id, row.name) for row in dbs.all(ManagerRow)] == [
                (m.id, m.name) for m in dbs.all(Manager)
            ]
            engineer = dbs.all(Engineer)[0]
            assert dbs.all(EngineerRow) == [EngineerRow(engineer.id, "e", "py")]
            assert dbs.get(EngineerRow, engineer.id) == dbs.first(EngineerRow, language="py", name="e")
            assert dbs.first(ManagerRow, name="s") is None  # a Staff row, not a Manager
    finally:
        db.drop_all()
        db.dispose()


def test_views_read_inside_the_testing_plugins_isolation(
    env: Env, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    UserRow = views(env).UserRow
    with paths(monkeypatch) as taken:
        user = db_session.create(env.models.User, email="isolated@x.org")
        assert db_session.first(UserRow, email="isolated@x.org") == UserRow(user.id, "isolated@x.org")
        with UnitOfWork(env.db) as uow:  # joins the test's transaction too
            assert uow.repository(UserRow).get(user.id) == UserRow(user.id, "isolated@x.org")
    assert taken == ["raw", "raw"]


@pytest.mark.parametrize("target", ["Engine", "Connection"])
def test_a_listener_on_every_engine_or_connection_hears_view_reads(
    env: Env, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    from sqlalchemy.engine import Connection, Engine

    (user_id,) = seed_users(env, "a@x.org")
    UserRow = views(env).UserRow
    cls = {"Engine": Engine, "Connection": Connection}[target]
    heard: list[str] = []

    def listen(*args: object) -> None:
        heard.append(str(args[2]))

    # SQLAlchemy marks the class as listened to for good: put the mark back after the test.
    monkeypatch.setattr(cls, "_has_events", cls._has_events)
    with env.db.Session() as dbs, paths(monkeypatch) as taken:
        dbs.first(UserRow)
        event.listen(cls, "before_cursor_execute", listen)
        try:
            assert dbs.get(UserRow, user_id) == UserRow(user_id, "a@x.org")
        finally:
            event.remove(cls, "before_cursor_execute", listen)
    assert taken == ["raw", "core"] and len(heard) == 1


def test_an_engine_with_options_hears_its_parents_listeners_too(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    (user_id,) = seed_users(env, "a@x.org")
    UserRow = views(env).UserRow
    engine = env.db.engine.execution_options(logging_token="views")  # shares the parent's listeners
    with env.db.Session(bind=engine) as dbs, paths(monkeypatch) as taken:
        assert dbs.get(UserRow, user_id) == UserRow(user_id, "a@x.org")
        with count_queries(env.db) as log:  # listens on the parent engine
            assert dbs.get(UserRow, user_id) == UserRow(user_id, "a@x.org")
        assert dbs.get(UserRow, user_id) == UserRow(user_id, "a@x.org")
    assert taken == ["raw", "core", "raw"] and len(log) == 1


def test_a_field_may_be_a_sql_expression_column_property(env: Env) -> None:
    @view(env.models.Seat)
    @attrs.frozen
    class SeatLength:
        row: str
        number: int
        row_length: int  # column_property(func.length(row)), deferred on the model

    with env.db.Session() as dbs:
        dbs.create(env.models.Seat, row="AB", number=1)
        assert dbs.all(SeatLength) == [SeatLength("AB", 1, 2)]
        assert dbs.first(SeatLength, row_length=2) == SeatLength("AB", 1, 2)
