"""upsert and upsert_many, once on the fakes and once per real backend: the behaviour a service relies on."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func

from datalayer.errors import (
    ConflictError,
    UnknownAttributeError,
    UnsupportedAttributeError,
    UsageError,
    ValueTooLongError,
)
from tests.test_shared_behaviour import Backend, backend, fake_models

__all__ = ["backend", "fake_models"]  # the fixtures, from the shared suite


def test_upsert_creates_the_row_then_updates_the_same_object(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        made = users.upsert(match=("email",), email="a@x.org", name="Ann")
        assert isinstance(made, backend.models.User) and made.id is not None
        assert users.upsert(match=("email",), email="a@x.org", name="Anne") is made
        assert made.name == "Anne"
        assert users.all() == [made]
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        assert users.upsert(match=("email",), email="a@x.org", name="Annie").id == made.id
        users.upsert(match=("email",), email="b@x.org", name="Bob")
    assert backend.committed(backend.models.User, "name") == ["Annie", "Bob"]


def test_upsert_keeps_the_columns_it_is_not_given(backend: Backend) -> None:
    with backend.unit() as uow:
        members = uow.repository(backend.models.Membership)
        members.upsert(match=("team", "member"), team="t", member="m", role="admin")
        kept = members.upsert(match=("team", "member"), team="t", member="m")
        assert kept.role == "admin"
    assert backend.committed(backend.models.Membership, "role") == ["admin"]


def test_upsert_conflicting_on_another_unique_key_raises_and_the_unit_rolls_back(backend: Backend) -> None:
    Ticket = backend.models.Ticket
    with backend.unit() as uow:
        uow.repository(Ticket).upsert(match=("title",), title="first", code="A")
    with pytest.raises(ConflictError), backend.unit() as uow:
        tickets = uow.repository(Ticket)
        tickets.upsert(match=("title",), title="second", code="B")
        tickets.upsert(match=("title",), title="second", code="A")  # A is first's
    assert backend.committed(Ticket, "title") == ["first"]


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        ({"match": ("name",), "email": "a@x.org", "name": "A"}, UsageError, "no unique constraint"),
        ({"match": ("email", "name"), "email": "a@x.org", "name": "A"}, UsageError, "no unique constraint"),
        ({"match": ("email",), "name": "A"}, UsageError, "needs email among the values"),
        ({"match": ("email",), "email": "a@x.org", "nmae": "A"}, UnknownAttributeError, "mean 'name'"),
        ({"match": ("emial",), "email": "a@x.org"}, UnknownAttributeError, "did you mean 'email'"),
        ({"match": ("email",), "email": "a" * 201}, ValueTooLongError, "at most 200"),
        ({"match": ("email",), "email": None}, UsageError, "cannot match email=None"),
        ({"match": ("email",), "email": "a@x.org", "id": 5}, UsageError, "change the primary key"),
        ({"match": ("email",), "email": "a@x.org", "orders": []}, UnsupportedAttributeError, "relationship"),
        ({"match": (), "email": "a@x.org"}, UsageError, "match names a unique key"),
        ({"match": 5, "email": "a@x.org"}, UsageError, "match names a unique key"),
    ],
)
def test_upsert_refuses_arguments_it_cannot_use_before_anything_is_written(
    backend: Backend, values: dict[str, Any], error: type[Exception], message: str
) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        users.create(email="kept@x.org")
        with pytest.raises(error, match=message):
            users.upsert(**values)
    assert backend.committed(backend.models.User) == ["kept@x.org"]


def test_upsert_many_creates_and_updates_and_returns_the_objects_in_the_rows_order(backend: Backend) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        old = users.create(email="old@x.org", name="old")
        made = users.upsert_many(
            [{"email": "new@x.org", "name": "n"}, {"email": "old@x.org", "name": "u"}], match=("email",)
        )
        assert made[1] is old and old.name == "u"
        assert [user.email for user in made] == ["new@x.org", "old@x.org"]
        assert users.upsert_many([], match=("email",)) == []
    assert backend.committed(backend.models.User, "name") == ["u", "n"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"email": "a@x.org", "name": "A"}, {"email": "b@x.org"}], "row 1 gives email"),
        ([{"email": "a@x.org"}, {"email": "b@x.org"}, {"email": "a@x.org"}], "rows 0 and 2 hold the same"),
        ([{"email": "a@x.org"}, {"email": None}], r"cannot match email=None \(row 1\)"),
        ([{"email": "a@x.org", "name": func.upper("a")}], "row 0 gives name as a SQL expression"),
    ],
)
def test_upsert_many_refuses_rows_it_cannot_send_before_writing_any(
    backend: Backend, rows: list[dict[str, Any]], message: str
) -> None:
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        with pytest.raises(UsageError, match=message):
            users.upsert_many(rows, match=("email",))
    assert backend.committed(backend.models.User) == []


def test_upsert_many_refuses_a_value_too_long_naming_its_row_and_writes_none(backend: Backend) -> None:
    rows = [{"email": f"u{n}@x.org", "name": "x" * (201 if n == 7 else 1)} for n in range(9)]
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        with pytest.raises(ValueTooLongError, match=r"^row 7 of upsert_many: User\.name is too long"):
            users.upsert_many(rows, match=("email",))
    assert backend.committed(backend.models.User) == []
