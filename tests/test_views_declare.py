"""view(Model): a read model is checked when it is declared, and returned unchanged."""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import attrs
import pytest
from sqlalchemy import ForeignKey, String
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, synonym

from datalayer import view
from datalayer._views import spec_of
from datalayer.errors import UnknownAttributeError, UnmappedClassError, UnsupportedAttributeError, UsageError


class Base(DeclarativeBase):
    """The models these declarations are checked against, on no Database."""


class Team(Base):
    __tablename__ = "v_teams"
    id: Mapped[int] = mapped_column(primary_key=True)


class Person(Base):
    __tablename__ = "v_people"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(100))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("v_teams.id"))
    team: Mapped[Team | None] = relationship()
    mail = synonym("email")

    @hybrid_property
    def shout(self) -> str:
        return self.email.upper()


def test_a_view_is_the_class_itself_with_its_model_and_fields_recorded() -> None:
    @attrs.frozen
    class Row:
        id: int
        email: str

    assert view(Person)(Row) is Row
    spec = spec_of(Row)
    assert spec is not None and spec.model is Person and spec.fields == ("id", "email")
    assert Row(1, "a") == Row(id=1, email="a")  # the class works as before


def test_attrs_classes_dataclasses_and_named_tuples_are_views() -> None:
    @view(Person)
    @dataclasses.dataclass
    class Contact:
        email: str
        name: str | None = None

    @view(Person)
    class Pair(NamedTuple):
        id: int
        name: str | None

    assert spec_of(Contact) is not None and spec_of(Contact).fields == ("email", "name")  # type: ignore[union-attr]
    assert spec_of(Pair) is not None and spec_of(Pair).make(1, "n") == Pair(1, "n")  # type: ignore[union-attr]


def test_a_field_the_model_does_not_map_is_refused_naming_the_field_the_model_and_the_view() -> None:
    with pytest.raises(
        UnknownAttributeError, match="Person has no mapped attribute 'emial'; did you mean 'email'"
    ) as raised:

        @view(Person)
        @attrs.frozen
        class Row:
            emial: str

    assert "the field Row.emial of the view Row" in raised.value.__notes__[0]
    assert isinstance(raised.value, UsageError)


@pytest.mark.parametrize(
    "name", ["team", "mail", "shout"], ids=["relationship", "synonym", "hybrid property"]
)
def test_a_field_that_is_not_a_column_attribute_is_refused(name: str) -> None:
    cls = attrs.make_class("Row", {name: attrs.field()}, frozen=True)
    with pytest.raises(UnsupportedAttributeError, match=f"Person.{name} is not a column attribute") as raised:
        view(Person)(cls)
    assert raised.value.model is Person and raised.value.attribute == name


def test_a_class_that_is_not_attrs_a_dataclass_or_a_named_tuple_is_refused() -> None:
    class Plain:
        id: int

    with pytest.raises(
        UsageError, match=r"view\(Person\) takes an attrs class, a dataclass or a NamedTuple, and Plain"
    ):
        view(Person)(Plain)


def test_view_written_below_the_class_decorator_says_where_it_goes() -> None:
    with pytest.raises(UsageError, match=r"put @view\(...\) above @attrs.frozen"):

        @attrs.frozen
        @view(Person)
        class Row:
            id: int


def test_an_unmapped_model_is_refused() -> None:
    class NotAModel:
        """A plain class, mapped by nothing."""

    with pytest.raises(UnmappedClassError):
        view(NotAModel)


def test_a_view_with_no_fields_is_refused() -> None:
    @attrs.frozen
    class Empty:
        """An attrs class without a field."""

    with pytest.raises(UsageError, match="the view Empty has no fields to read from Person"):
        view(Person)(Empty)


def test_a_constructor_that_needs_more_than_the_fields_is_refused() -> None:
    @dataclasses.dataclass
    class Row:
        id: int
        scale: dataclasses.InitVar[int]

    with pytest.raises(UsageError, match="its constructor also takes 'scale', which is not a field"):
        view(Person)(Row)


def test_fields_the_constructor_takes_by_keyword_only_are_given_by_keyword() -> None:
    @view(Person)
    @attrs.frozen
    class Row:
        email: str = attrs.field(kw_only=True)
        id: int = 0

    spec = spec_of(Row)
    assert spec is not None and spec.fields == ("email", "id") and spec.make is not Row
    assert spec.make("a@x.org", 7) == Row(id=7, email="a@x.org")


def test_fields_the_constructor_does_not_take_are_left_to_the_class() -> None:
    @view(Person)
    @attrs.frozen
    class Row:
        id: int
        label: str = attrs.field(init=False, default="computed")

    spec = spec_of(Row)
    assert spec is not None and spec.fields == ("id",) and spec.make(3) == Row(3)


def test_a_class_is_the_view_of_one_model() -> None:
    @view(Person)
    @attrs.frozen
    class Row:
        id: int

    with pytest.raises(UsageError, match="Row is already a view of Person"):
        view(Team)(Row)


def test_a_subclass_of_a_view_is_not_a_view_until_declared() -> None:
    @view(Person)
    @attrs.frozen
    class Row:
        id: int

    @attrs.frozen
    class Wider(Row):
        email: str

    assert spec_of(Wider) is None
    view(Person)(Wider)
    spec: Any = spec_of(Wider)
    assert spec.fields == ("id", "email") and spec_of(Row).fields == ("id",)  # type: ignore[union-attr]
