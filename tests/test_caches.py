"""Per-model caches go with their model: a throwaway Database leaves nothing behind."""

from __future__ import annotations

import gc
import weakref

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, synonym

from datalayer import Database
from datalayer._mapping import primary_key_attributes
from datalayer.testing.fakes import FakeRepository
from repositories import Repository
from tests.conftest import Env


def use_a_throwaway_model(url: str) -> tuple[weakref.ref[type], weakref.ref[Database]]:
    db = Database(url)

    class Throwaway(db.Model):
        __tablename__ = "t_throwaway"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20), unique=True)
        alias = synonym("name")

    db.create_all()
    try:
        with db.Session() as dbs:
            things = Repository(dbs, Throwaway)
            thing = things.create_or_first(name="a")
            assert things.first(name="a") is thing and things.first(name=None) is None
            assert things.first_or_create(alias="a") is thing and things.count(alias="a") == 1
            things.create_many([{"name": "b"}])
            assert [t.name for t in things.stream()] == ["a", "b"] == [t.name for t in things.page(size=5)]
            assert primary_key_attributes(Throwaway.__mapper__) == ("id",)
            FakeRepository(Throwaway).create(name="c")
            dbs.rollback()
    finally:
        db.drop_all()
        db.dispose()
    return weakref.ref(Throwaway), weakref.ref(db)


def test_a_model_is_collected_after_its_database_and_class_are_dropped(env: Env) -> None:
    model, database = use_a_throwaway_model(env.url)
    gc.collect()
    assert database() is None
    assert model() is None  # no module-level cache keeps the class
