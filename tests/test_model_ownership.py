"""A model of another Database is refused before anything is sent; shared and unowned models keep working."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

from datalayer import Database, Session, UnitOfWork
from datalayer.errors import ForeignModelError, UsageError
from repositories import Repository
from tests.conftest import Env


class SharedBase(DeclarativeBase):
    """One declarative base given to several Databases, e.g. the same models on two servers."""


class Shared(SharedBase):
    __tablename__ = "t_shared"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


class Loose:
    """A plain class mapped imperatively on a registry that no Database owns."""

    id: int
    name: str


loose_registry = registry()
loose_registry.map_imperatively(
    Loose,
    Table(
        "t_loose",
        loose_registry.metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), unique=True),
    ),
)

# Each call sends the model to one helper (or builds a repository on it), through a session.
CALLS: dict[str, Callable[[Session, Any], object]] = {
    "first": lambda dbs, model: dbs.first(model, name="x"),
    "all": lambda dbs, model: dbs.all(model),
    "create": lambda dbs, model: dbs.create(model, name="x"),
    "create_or_first": lambda dbs, model: dbs.create_or_first(model, name="x"),
    "first_or_create": lambda dbs, model: dbs.first_or_create(model, name="x"),
    "create_many": lambda dbs, model: dbs.create_many(model, [{"name": "x"}]),
    "count": lambda dbs, model: Repository(dbs, model).count(),
    "exists": lambda dbs, model: Repository(dbs, model).exists(name="x"),
    "stream": lambda dbs, model: list(Repository(dbs, model).stream()),
    "page": lambda dbs, model: Repository(dbs, model).page(size=10),
    "Repository": lambda dbs, model: Repository(dbs, model),
}


@pytest.fixture
def other(env: Env) -> Iterator[Database]:
    """A second Database on the same backend, with a model whose table exists nowhere."""
    db = Database(env.url)
    yield db
    db.dispose()


def stranger_of(db: Database) -> type[Any]:
    class Stranger(db.Model):  # type: ignore[name-defined, misc]
        __tablename__ = "t_strangers"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))

    return Stranger


@pytest.mark.parametrize("call", CALLS)
def test_a_model_of_another_database_is_refused_before_anything_is_sent(
    env: Env, other: Database, call: str
) -> None:
    Stranger = stranger_of(other)
    with env.db.Session() as dbs:
        kept = dbs.create(env.models.User, email="kept@x.org")
        with pytest.raises(ForeignModelError) as raised:
            CALLS[call](dbs, Stranger)
        assert raised.value.model is Stranger
        # Nothing was sent: the transaction (aborted on PostgreSQL by any failed statement) goes on.
        assert dbs.first(env.models.User, email="kept@x.org") is kept
        dbs.commit()
    with env.db.Session() as dbs:
        assert [user.email for user in dbs.all(env.models.User)] == ["kept@x.org"]


def test_the_refusal_names_the_model_and_the_database_it_belongs_to(env: Env, other: Database) -> None:
    Stranger = stranger_of(other)
    with env.db.Session() as dbs, pytest.raises(UsageError) as raised:
        dbs.first(Stranger)
    message = str(raised.value)
    assert message.startswith("Stranger belongs to another Database")
    assert repr(other) in message and "model_class=" in message
    assert isinstance(raised.value, TypeError)


def test_a_unit_of_work_refuses_a_repository_of_a_model_of_another_database(
    env: Env, other: Database
) -> None:
    Stranger = stranger_of(other)

    class StrangerRepository(Repository[Stranger]):  # type: ignore[valid-type]
        """The generic methods, on the other Database's model."""

    # Declared as `strangers: StrangerRepository`, resolvable outside this function's scope.
    unit = type("Unit", (UnitOfWork,), {"__annotations__": {"strangers": StrangerRepository}})

    refused = unit(env.db)
    with pytest.raises(ForeignModelError, match="Stranger belongs to another Database"), refused:
        raise AssertionError("the unit must refuse its repository on entry, before the block runs")
    with pytest.raises(UsageError, match="is not active"):
        _ = refused.session  # the failed entry left no session behind
    assert env.db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    with pytest.raises(ForeignModelError), UnitOfWork(env.db) as uow:
        uow.repository(Stranger)


def test_each_database_uses_its_own_models_as_before(env: Env, other: Database) -> None:
    Stranger = stranger_of(other)
    other.create_all()
    try:
        with other.Session() as dbs:
            dbs.create(Stranger, name="home")
            assert dbs.first(Stranger, name="home") is not None
            assert Repository(dbs, Stranger).count() == 1
    finally:
        other.drop_all()


@pytest.mark.parametrize("call", CALLS)
def test_databases_sharing_one_model_base_each_use_its_models(env: Env, tmp_path: Path, call: str) -> None:
    # The same models on the run's backend and on a SQLite file of their own.
    databases = [
        Database(env.url, model_class=SharedBase),
        Database(f"sqlite:///{tmp_path / 'b.db'}", model_class=SharedBase),
    ]
    try:
        for db in databases:
            db.create_all()
            with db.Session() as dbs:
                CALLS[call](dbs, Shared)
                dbs.create(Shared, name=f"on {db.engine.dialect.name}")
                dbs.commit()
        for db in databases:
            with db.Session() as dbs:
                assert f"on {db.engine.dialect.name}" in [row.name for row in dbs.all(Shared)]
    finally:
        for db in databases:
            db.drop_all()
            db.dispose()


@pytest.mark.parametrize("call", CALLS)
def test_a_class_mapped_on_a_registry_no_database_owns_works_with_any_database(env: Env, call: str) -> None:
    loose_registry.metadata.create_all(env.db.engine)
    try:
        with env.db.Session() as dbs:
            CALLS[call](dbs, Loose)
            dbs.create(Loose, name="loose")
            dbs.commit()
        with env.db.Session() as dbs:
            assert "loose" in [row.name for row in dbs.all(Loose)]
    finally:
        loose_registry.metadata.drop_all(env.db.engine)
