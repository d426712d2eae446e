"""FakeUnitOfWork subclasses declare their repositories as annotations, as UnitOfWork subclasses do.

No ``from __future__ import annotations`` here: the units below are declared inside
functions, and string annotations could not see those functions' local classes.
"""

from collections.abc import Iterator
from typing import Any

import pytest

from datalayer import Database
from datalayer.testing import FakeDatabase, FakeRepository, FakeUnitOfWork
from tests.models import Models, define_models


@pytest.fixture(scope="module")
def m() -> Iterator[Models]:
    db = Database("sqlite://")  # only for its registry: the fakes never connect
    yield define_models(db)
    db.dispose()


def fake_shop(m: Models) -> type[FakeUnitOfWork]:
    User, Ticket = m.User, m.Ticket

    class FakeTickets(FakeRepository[Ticket]):  # type: ignore[valid-type]
        """A custom query, in Python."""

        def titled(self, prefix: str) -> list[Any]:
            return [t for t in self.all() if t.title.startswith(prefix)]

    class FakeShop(FakeUnitOfWork):
        users: FakeRepository[User]  # type: ignore[valid-type]
        tickets: FakeTickets
        label: str = "not a repository"

    return FakeShop


def test_a_fake_unit_builds_the_repositories_its_annotations_declare_on_entry(m: Models) -> None:
    database = FakeDatabase()
    unit = fake_shop(m)(database)
    with unit as uow:
        assert type(uow.users) is FakeRepository and uow.users.model is m.User
        assert type(uow.tickets).__name__ == "FakeTickets" and uow.tickets.model is m.Ticket
        assert uow.users.session is uow.session is uow.tickets.session
        uow.users.create(email="a@x.org")
        uow.tickets.create(title="bug: one")
        assert [t.title for t in uow.tickets.titled("bug")] == ["bug: one"]
        assert uow.label == "not a repository"
    assert [row["email"] for row in database.rows(m.User)] == ["a@x.org"]
    with pytest.raises(AttributeError, match="exists only inside the `with` block"):
        _ = unit.users


def test_keywords_given_to_a_declaring_unit_take_precedence_and_add_repositories(m: Models) -> None:
    with fake_shop(m)(users=m.Membership, tags=m.Tag) as uow:
        assert uow.users.model is m.Membership
        assert uow.tags.model is m.Tag and uow.tickets.model is m.Ticket


def test_a_subclass_annotation_replaces_the_one_of_its_base(m: Models) -> None:
    Tag = m.Tag

    class Tagged(fake_shop(m)):  # type: ignore[misc, valid-type]
        users: FakeRepository[Tag]  # type: ignore[valid-type]

    with Tagged() as uow:
        assert uow.users.model is m.Tag and uow.tickets.model is m.Ticket
