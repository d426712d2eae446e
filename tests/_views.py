"""Read models of the test models, one set per Database (a view belongs to one model class)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import attrs
import pytest

from datalayer import view
from datalayer._views import _read
from tests.conftest import Env
from tests.models import Models, Status


@dataclasses.dataclass(frozen=True)
class Views:
    UserRow: Any  # attrs, frozen
    UserContact: Any  # a dataclass, not every field of the model, other order
    UserPair: Any  # a NamedTuple
    SeatRow: Any  # a composite primary key
    AccountRow: Any  # Enum columns, a column whose attribute name is not the column's
    TagRow: Any  # an imperatively mapped class
    OrderRow: Any  # for filters by relationship


@functools.cache
def views_of(models: Models) -> Views:
    @view(models.User)
    @attrs.frozen
    class UserRow:
        id: int
        email: str

    @view(models.User)
    @dataclasses.dataclass
    class UserContact:
        name: str | None
        email: str

    @view(models.User)
    class UserPair(NamedTuple):
        id: int
        name: str | None

    @view(models.Seat)
    @attrs.frozen
    class SeatRow:
        row: str
        number: int

    @view(models.Account)
    @attrs.frozen
    class AccountRow:
        id: int
        _login: str
        status: Status
        plan: Status | None

    @view(models.Tag)
    @attrs.frozen
    class TagRow:
        id: int
        label: str

    @view(models.Order)
    @attrs.frozen
    class OrderRow:
        id: int
        item: str

    return Views(UserRow, UserContact, UserPair, SeatRow, AccountRow, TagRow, OrderRow)


def views(env: Env) -> Views:
    """The views of ``env``'s models."""
    return views_of(env.models)


@contextmanager
def paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record which path each view read took: ``"raw"`` (the DBAPI cursor) or ``"core"``."""
    taken: list[str] = []
    raw: Callable[..., Any] = _read.fetch
    execute: Callable[..., Any] = _read._result

    def fetch(*args: Any) -> Any:
        taken.append("raw")
        return raw(*args)

    def result(*args: Any) -> Any:
        taken.append("core")
        return execute(*args)

    monkeypatch.setattr(_read, "fetch", fetch)
    monkeypatch.setattr(_read, "_result", result)
    yield taken
