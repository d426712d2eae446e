"""What sqla-wrapper's users keep: its constructor's keywords, ``db.url`` as a string, ``fill``, ``repr``."""

from __future__ import annotations

import pickle
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import URL, String, create_engine, inspect, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from datalayer import Database, Session
from datalayer.asyncio import AsyncDatabase
from datalayer.asyncio.session import AsyncSession
from datalayer.errors import UnknownAttributeError, UnsupportedAttributeError, UsageError
from datalayer.testing import assert_queries
from tests._url_parts import parts_of
from tests.conftest import AsyncEnv, Env
from tests.sqla_wrapper.differences import DIFFERENCES

# -- The keyword constructor ------------------------------------------------------------------


def test_a_database_given_in_parts_connects_with_its_engine_and_session_options(env: Env) -> None:
    parts = parts_of(env.url)
    options = {**parts.pop("engine_options", {}), "pool_pre_ping": True}
    db = Database(**parts, engine_options=options, session_options={"autoflush": False})
    try:
        assert db.url.to_url() == make_url(env.url).set(query={})
        assert db.engine.pool._pre_ping
        with db.Session() as dbs:
            assert isinstance(dbs, Session) and dbs.autoflush is False
            assert dbs.execute(text("SELECT 1")).scalar() == 1
        assert db.s.autoflush is False
    finally:
        db.dispose()


def test_the_parts_have_sqla_wrappers_defaults() -> None:
    assert Database().url == "sqlite://"  # SQLite in memory
    assert Database(name="app.db").url == "sqlite:///app.db"
    db = Database(dialect="mysql+pymysql", name="app", user="u", host="db.example", port="3307")
    assert db.url == "mysql+pymysql://u@db.example:3307/app" and db.url.port == 3307
    assert Database(dialect="postgresql+psycopg", name="app", password="unused").url.password is None


def test_a_percent_encoded_part_is_decoded_once_as_in_sqla_wrapper_and_a_raw_one_is_kept() -> None:
    encoded = Database(dialect="postgresql+psycopg", name="app", user="u", password="p%40ss%2Fw")
    assert encoded.url.password == "p@ss/w"
    raw = Database(dialect="postgresql+psycopg", name="app", user="u", password="p@ss:/w?#")
    assert raw.url.password == "p@ss:/w?#"
    assert make_url(str(raw.url)).password == "p@ss:/w?#"  # quoted in the text, so it parses back


def test_the_drivers_options_at_the_end_of_the_name_reach_the_driver_as_in_sqla_wrapper(
    tmp_path: Path,
) -> None:
    path = tmp_path / "app.db"
    sqlite3.connect(path).close()
    db = Database(dialect="sqlite", name=f"file:{path}?mode=ro&uri=true")
    try:
        assert db.url == f"sqlite:///file:{path}?mode=ro&uri=true"  # the text, as sqla-wrapper pasted it
        assert db.url.database == f"file:{path}" and dict(db.url.query) == {"mode": "ro", "uri": "true"}
        with db.engine.connect() as connection, pytest.raises(OperationalError, match="readonly"):
            connection.execute(text("CREATE TABLE t (id INTEGER)"))
    finally:
        db.dispose()
    db = Database(dialect="mysql+pymysql", name="app?charset=utf8mb4&ssl_key_password=p%40ss", user="u")
    assert db.url.database == "app"
    assert dict(db.url.query) == {"charset": "utf8mb4", "ssl_key_password": "p@ss"}
    assert repr(db.url) == "'mysql+pymysql://u@127.0.0.1/app?charset=utf8mb4&ssl_key_password=***'"


def test_a_url_and_its_parts_together_are_refused() -> None:
    with pytest.raises(UsageError, match=r"either a url or its parts \(name=, host=\), not both"):
        Database("sqlite://", name="app", host="db.example")
    with pytest.raises(UsageError, match="not a port number"):
        Database(dialect="postgresql", port="fifty")
    for port in (0, -1, 65536, "99999"):
        with pytest.raises(UsageError, match=r"is not a port number \(1 to 65535\)"):
            Database(dialect="postgresql", port=port)


def test_an_unknown_keyword_is_refused_by_its_name() -> None:
    with pytest.raises(UsageError, match=r"Invalid argument\(s\) 'hots' given to Database\(\)"):
        Database(dialect="postgresql+psycopg", name="app", hots="db.example")
    with pytest.raises(UsageError, match="base_model_class= is sqla-wrapper's: pass model_class="):
        Database("sqlite://", base_model_class=object)
    with pytest.raises(UsageError, match="echo given both in engine_options and as a keyword"):
        Database("sqlite://", engine_options={"echo": True}, echo=False)


def test_engine_options_are_taken_as_a_dict_and_as_keywords_together() -> None:
    db = Database("sqlite://", engine_options={"echo": True}, pool_pre_ping=True)
    assert db.engine.echo is True and db.engine.pool._pre_ping
    db.dispose()


def test_session_options_go_to_the_session_factory_which_keeps_datalayers_session() -> None:
    class AppSession(Session):
        """An application's own session class."""

    db = Database("sqlite://", session_options={"expire_on_commit": False, "class_": AppSession})
    with db.Session() as dbs:
        assert isinstance(dbs, AppSession) and dbs.expire_on_commit is False
    assert isinstance(db.s(), AppSession) and db.s().expire_on_commit is False
    db.s.remove()
    with pytest.raises(UsageError, match=r"must be datalayer\.session\.Session or a subclass"):
        Database("sqlite://", session_options={"class_": object})


async def test_the_async_database_takes_the_same_keywords(aenv: AsyncEnv) -> None:
    parts = parts_of(aenv.adb.url)
    adb = AsyncDatabase(**parts, session_options={"autoflush": False})
    try:
        assert adb.url.to_url() == aenv.adb.url.to_url().set(query={})
        async with adb.Session() as session:
            assert isinstance(session, AsyncSession)
            assert session.sync_session.autoflush is False
            assert session.sync_session.expire_on_commit is False  # datalayer's asyncio default stays
            assert (await session.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await adb.dispose()


def test_the_async_database_refuses_what_the_database_refuses_naming_itself() -> None:
    with pytest.raises(UsageError, match=r"Invalid argument\(s\) 'hots' given to AsyncDatabase\(\)"):
        AsyncDatabase(dialect="postgresql+asyncpg", name="app", hots="db.example")
    with pytest.raises(UsageError, match=r"either a url or its parts \(name=\), not both"):
        AsyncDatabase("sqlite+aiosqlite://", name="app")
    with pytest.raises(UsageError, match="echo given both in engine_options and as a keyword"):
        AsyncDatabase("sqlite+aiosqlite://", engine_options={"echo": True}, echo=False)
    with pytest.raises(UsageError, match=r"must be datalayer\.asyncio\.session\.AsyncSession or a subclass"):
        AsyncDatabase("sqlite+aiosqlite://", session_options={"class_": Session})


# -- db.url -----------------------------------------------------------------------------------


def test_db_url_is_the_text_it_was_given_as_sqla_wrappers_was() -> None:
    db = Database("sqlite:///app.db")
    assert isinstance(db.url, str) and db.url == "sqlite:///app.db" and str(db.url) == "sqlite:///app.db"
    assert db.url in str(db) and db.url in repr(db) and db.url.startswith("sqlite")
    assert db.url.drivername == "sqlite" and db.url.database == "app.db"


def test_db_url_given_a_sqlalchemy_url_is_its_text_and_keeps_its_attributes() -> None:
    url = URL.create("postgresql+psycopg", username="u", password="p@ss", host="h", database="app")
    db = Database(url, connect_args={"connect_timeout": 1})
    assert make_url(str(db.url)) == url and db.url.to_url() == url
    assert (db.url.drivername, db.url.username, db.url.password) == ("postgresql+psycopg", "u", "p@ss")
    assert (db.url.host, db.url.port, db.url.database, dict(db.url.query)) == ("h", None, "app", {})
    assert db.url.get_backend_name() == "postgresql" and db.url.get_driver_name() == "psycopg"
    assert db.url.set(database="other").database == "other"
    assert pickle.loads(pickle.dumps(db.url)).password == "p@ss"


def test_db_url_shows_the_password_only_as_the_text_to_hand_on() -> None:
    db = Database("postgresql+psycopg://u:tiger-secret@h/app?sslpassword=key-secret")
    for shown in (repr(db), str(db), repr(db.url), repr({"url": db.url}), db.url.render_as_string()):
        assert "tiger-secret" not in shown and "key-secret" not in shown, shown
    assert repr(db.url) == "'postgresql+psycopg://u:***@h/app?sslpassword=***'"
    assert db.url.render_as_string(hide_password=False) == str(db.url)
    assert make_url(str(db.url)).password == "tiger-secret"


def test_the_url_text_handed_to_another_engine_connects(env: Env) -> None:
    engine = create_engine(str(env.db.url))  # as sqla-wrapper's users hand db.url on
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


# -- create_all and drop_all ------------------------------------------------------------------


def test_create_all_and_drop_all_take_sqla_wrappers_tables_and_checkfirst() -> None:
    db = Database("sqlite://")

    class Post(db.Model):  # type: ignore[name-defined, misc]
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Tag(db.Model):  # type: ignore[name-defined, misc]
        __tablename__ = "tags"
        id: Mapped[int] = mapped_column(primary_key=True)

    try:
        db.create_all(tables=[Post.__table__])
        assert inspect(db.engine).get_table_names() == ["posts"]
        with pytest.raises(OperationalError, match="already exists"):
            db.create_all(tables=[Post.__table__], checkfirst=False)
        db.create_all()
        db.drop_all(tables=[Tag.__table__])
        assert inspect(db.engine).get_table_names() == ["posts"]
    finally:
        db.dispose()


@pytest.mark.only("sqlite", "postgresql")  # MariaDB commits DDL whatever the transaction
def test_create_all_on_a_connection_is_part_of_its_transaction(env: Env) -> None:
    db = Database(env.url, **env.engine_options)

    class Scratch(db.Model):  # type: ignore[name-defined, misc]
        __tablename__ = "t_scratch_ddl"
        id: Mapped[int] = mapped_column(primary_key=True)

    try:
        with db.engine.connect() as connection:
            db.create_all(bind=connection)
            assert inspect(connection).has_table("t_scratch_ddl")
            connection.rollback()
        assert not inspect(db.engine).has_table("t_scratch_ddl")
        with db.engine.begin() as connection:
            db.create_all(bind=connection)
            db.drop_all(bind=connection)
        assert not inspect(db.engine).has_table("t_scratch_ddl")
    finally:
        db.dispose()


# -- fill and repr on db.Model ----------------------------------------------------------------


@pytest.mark.only("sqlite")  # sqla-wrapper's test_fill persists what fill sets, on every backend
def test_fill_sets_the_attributes_and_returns_the_object(env: Env) -> None:
    user = env.models.User(email="a@example.com")
    assert user.fill(email="b@example.com", name="B") is user
    assert (user.email, user.name) == ("b@example.com", "B")


def test_fill_refuses_an_unknown_attribute_before_setting_any() -> None:
    db = Database("sqlite://")

    class Post(db.Model):  # type: ignore[name-defined, misc]
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(100))

    post = Post(title="x")
    with pytest.raises(
        UnknownAttributeError, match="Post has no mapped attribute 'titel'; did you mean 'title'"
    ):
        post.fill(title="y", titel="z")
    assert post.title == "x"


@pytest.mark.only("sqlite")
def test_fill_sets_what_create_sets_and_refuses_what_it_refuses(env: Env) -> None:
    account = env.models.Account().fill(login="ada", full_name="Ada Lovelace")  # a synonym, a hybrid's setter
    assert (account._login, account.first_name, account.last_name) == ("ada", "Ada", "Lovelace")
    with pytest.raises(UnsupportedAttributeError, match=r"display_name.*without a setter"):
        account.fill(first_name="Grace", display_name="Grace")
    assert account.first_name == "Ada"


def test_repr_lists_the_columns_in_sqla_wrappers_format() -> None:
    db = Database("sqlite://")

    class Post(db.Model):  # type: ignore[name-defined, misc]
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(100))
        published: Mapped[datetime | None]

    post = Post(id=1, title="x", published=datetime(2024, 5, 1, 12, 30))
    assert repr(post) == (f"<Post #{id(post)}\n id = 1\n title = 'x'\n published = 2024-05-01T12:30:00>")
    assert repr(Post(title="y")).endswith("\n id = None\n title = 'y'\n published = None>")


def test_repr_sends_no_sql_and_shows_what_is_not_loaded(env: Env) -> None:
    User = env.models.User
    user = env.db.s.create(User, email="a@example.com", name="A")
    env.db.s.commit()  # expires the object
    with assert_queries(env.db, 0):
        shown = repr(user)
    lines = [
        f"<User #{id(user)}",
        *(f" {key} = <not loaded>" for key in ("id", "email", "name", "created_at")),
    ]
    assert shown == "\n".join(lines) + ">"
    env.db.s.refresh(user)
    env.db.s.remove()  # detached, loaded
    assert f"\n email = 'a@example.com'\n name = 'A'\n created_at = {user.created_at.isoformat()}>" in repr(
        user
    )


def test_a_model_class_of_the_applications_own_is_left_as_it_is() -> None:
    class Base(DeclarativeBase):
        """An application's own base."""

    db = Database("sqlite://", model_class=Base)
    assert db.Model is Base and not hasattr(Base, "fill") and Base.__repr__ is object.__repr__


# -- sqla-wrapper's own tests -----------------------------------------------------------------


def test_every_sqla_wrapper_test_expected_to_fail_is_listed_in_the_migration_guide() -> None:
    guide = (Path(__file__).parent.parent / "docs" / "migrating.md").read_text()
    assert DIFFERENCES
    for name in DIFFERENCES:
        assert f"| `{name}` |" in guide, name
