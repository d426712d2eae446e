"""Bad input gets a clear error before anything is sent, and the session's work survives it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from datalayer import Session
from datalayer.errors import UnknownAttributeError, UnmappedClassError, UsageError, ValueTooLongError
from repositories import Repository
from tests.conftest import Env

HELPERS = ["all", "first", "create", "first_or_create", "create_or_first"]


def call_helper(dbs: Session, name: str, model: Any, **attrs: Any) -> object:
    helper: Callable[..., object] = getattr(dbs, name)
    return helper(model, **attrs)


@pytest.mark.parametrize("helper", HELPERS)
def test_an_unknown_attribute_is_named_with_its_model(env: Env, helper: str) -> None:
    with env.db.Session() as dbs, pytest.raises(UnknownAttributeError) as raised:
        call_helper(dbs, helper, env.models.User, emial="foo@x.org")
    assert raised.value.attribute == "emial"
    assert raised.value.model is env.models.User
    assert str(raised.value) == "User has no mapped attribute 'emial'; did you mean 'email'?"


@pytest.mark.parametrize("helper", HELPERS)
def test_an_unknown_attribute_leaves_pending_and_flushed_work_intact(env: Env, helper: str) -> None:
    User = env.models.User
    with env.db.Session() as dbs:
        flushed = dbs.create(User, email="flushed@x.org")
        pending = User(email="pending@x.org")
        dbs.add(pending)
        with pytest.raises(UnknownAttributeError):
            call_helper(dbs, helper, User, email="x@x.org", nope=1)
        assert pending in dbs.new  # nothing was flushed by the failed call
        dbs.commit()
        assert flushed.id is not None
    with env.db.Session() as dbs:
        assert sorted(u.email for u in dbs.all(User)) == ["flushed@x.org", "pending@x.org"]


@pytest.mark.parametrize("helper", HELPERS)
@pytest.mark.parametrize("not_a_model", [int, object, "User", None])
def test_a_class_that_is_not_mapped_is_refused(env: Env, helper: str, not_a_model: object) -> None:
    with env.db.Session() as dbs, pytest.raises(UnmappedClassError, match="is not a mapped class"):
        call_helper(dbs, helper, not_a_model, email="foo@x.org")


def test_the_abstract_model_base_is_refused(env: Env) -> None:
    with env.db.Session() as dbs, pytest.raises(UnmappedClassError, match="Model is not a mapped class"):
        dbs.first(env.db.Model)


def test_usage_errors_are_type_errors_not_data_errors(env: Env) -> None:
    with env.db.Session() as dbs, pytest.raises(TypeError):
        dbs.first(env.models.User, nope=1)
    assert issubclass(UnknownAttributeError, UsageError)


def test_a_repository_refuses_an_unmapped_model_when_built(env: Env) -> None:
    class NotAModel:
        """A plain class, never mapped."""

    with env.db.Session() as dbs, pytest.raises(UnmappedClassError, match="NotAModel is not a mapped class"):
        Repository(dbs, NotAModel)


def test_a_repository_without_a_model_says_how_to_give_one(env: Env) -> None:
    with env.db.Session() as dbs, pytest.raises(UsageError, match=r"subclass Repository\[Model\]"):
        Repository(dbs)


@pytest.mark.parametrize("helper", ["create", "first_or_create", "create_or_first"])
def test_a_value_longer_than_its_column_is_refused_before_anything_is_sent(env: Env, helper: str) -> None:
    too_long = "x" * 190 + " " * 20  # servers would silently cut the trailing spaces
    with env.db.Session() as dbs:
        kept = dbs.create(env.models.User, email="kept@x.org")
        expected = r"User\.email is too long: at most 200 characters, not 210"
        with pytest.raises(ValueTooLongError, match=expected):
            call_helper(dbs, helper, env.models.User, email=too_long)
        with pytest.raises(ValueTooLongError):
            dbs.create_many(env.models.User, [{"email": too_long}])
        dbs.commit()
        assert dbs.all(env.models.User) == [kept]
