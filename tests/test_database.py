"""Database: its engine set-up per dialect, its Model base, its sessions."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import String, insert, inspect, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from datalayer import Database, ScopedSession, Session, UnitOfWork
from repositories import Repository
from tests.conftest import Env, EnvFactory


class Base(DeclarativeBase):
    """A declarative base of the application's own, visible to type checkers."""


class Note(Base):
    __tablename__ = "t_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100), unique=True)


class NoteRepository(Repository[Note]):
    """Notes, with nothing but the generic methods."""


class NotesUnit(UnitOfWork):
    notes: NoteRepository  # a string annotation here, resolved on entry


def test_each_database_has_a_model_base_with_its_own_metadata() -> None:
    first, second = Database("sqlite://"), Database("sqlite://")
    assert issubclass(first.Model, DeclarativeBase)
    assert first.Model is not second.Model
    assert first.metadata is first.Model.metadata is not second.metadata
    assert first.registry is first.Model.registry
    assert first.select is select


def test_model_class_uses_the_applications_own_base(env: Env) -> None:
    db = Database(env.url, model_class=Base)
    assert db.Model is Base and db.metadata is Base.metadata
    db.create_all()
    try:
        with NotesUnit(db) as uow:
            uow.notes.create_or_first(title="hello")
        with NotesUnit(db) as uow:
            assert [n.title for n in uow.notes.all()] == ["hello"]
    finally:
        db.drop_all()
        db.dispose()


def test_create_all_and_drop_all_create_and_remove_the_tables(env: Env, make_env: EnvFactory) -> None:
    other = Database(env.url)

    class Scratch(other.Model):  # type: ignore[name-defined, misc]
        __tablename__ = "t_scratch"
        id: Mapped[int] = mapped_column(primary_key=True)

    other.create_all()
    assert inspect(other.engine).has_table("t_scratch")
    other.drop_all()
    assert not inspect(other.engine).has_table("t_scratch")
    other.dispose()


def test_the_session_factory_makes_our_session_and_closes_it_on_exit(env: Env) -> None:
    with env.db.Session() as dbs:
        assert isinstance(dbs, Session)
        dbs.execute(text("SELECT 1"))
        assert env.db.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    assert env.db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_the_scoped_session_is_one_session_per_thread_until_removed(env: Env) -> None:
    assert isinstance(env.db.s, ScopedSession)
    here = env.db.s()
    assert env.db.s() is here
    elsewhere: list[Session] = []
    thread = threading.Thread(target=lambda: (elsewhere.append(env.db.s()), env.db.s.remove()))
    thread.start()
    thread.join()
    assert elsewhere and elsewhere[0] is not here
    env.db.s.remove()
    assert env.db.s() is not here


def test_the_scoped_session_exposes_the_helpers_and_every_session_method(env: Env) -> None:
    User = env.models.User
    user = env.db.s.create(User, email="a@x.org")
    assert env.db.s.first(User, email="a@x.org") is user
    assert env.db.s.first_or_create(User, email="a@x.org") is user
    assert env.db.s.create_or_first(User, email="a@x.org") is user
    assert env.db.s.all(User) == [user]
    assert env.db.s.get(User, user.id) is user
    env.db.s.commit()
    env.db.s.remove()
    assert env.db.s.first(User, email="a@x.org") is not user  # a new session, a new identity map


def test_repr_hides_the_password() -> None:
    db = Database("postgresql+psycopg://scott:tiger-secret@db.invalid/app")
    assert "tiger-secret" not in repr(db) and "tiger-secret" not in str(db)
    assert repr(db) == "Database('postgresql+psycopg://scott:***@db.invalid/app')"


@pytest.mark.only("sqlite")
def test_sqlite_savepoints_are_undone_by_the_outer_rollback(env: Env) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        with dbs.begin_nested():  # SAVEPOINT is the very first statement of the transaction
            dbs.execute(insert(User), [{"email": "in-savepoint@x.org"}])
        dbs.rollback()
    with env.db.Session() as dbs:
        assert dbs.all(User) == []


def test_sqlite_enforces_foreign_keys(tmp_path: object) -> None:
    db = Database("sqlite://")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.only("mariadb")
def test_mariadb_connections_default_to_read_committed(env: Env, make_env: EnvFactory) -> None:
    with env.db.engine.connect() as connection:
        assert connection.get_isolation_level() == "READ COMMITTED"
    chosen = make_env(isolation_level="REPEATABLE READ").db
    with chosen.engine.connect() as connection:
        assert connection.get_isolation_level() == "REPEATABLE READ"
