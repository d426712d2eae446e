"""factory-boy factories for the test models, defined once per Database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import factory

from datalayer.testing import ModelFactory
from tests.models import Models


@dataclass(frozen=True)
class Factories:
    User: Any
    Order: Any
    UserWithOrders: Any
    Tag: Any


def define_factories(m: Models) -> Factories:
    class UserFactory(ModelFactory):
        class Meta:
            model = m.User

        email = factory.Sequence(lambda n: f"user{n}@example.org")
        name = factory.Sequence(lambda n: f"User {n}")

        @factory.post_generation
        def nickname(obj: Any, create: bool, extracted: str | None, **_: Any) -> None:
            if extracted:
                obj.name = extracted.upper()

    class OrderFactory(ModelFactory):
        class Meta:
            model = m.Order

        user = factory.SubFactory(UserFactory)
        item = factory.Iterator(["book", "pen", "lamp"])

    class UserWithOrdersFactory(UserFactory):
        orders = factory.RelatedFactoryList(OrderFactory, factory_related_name="user", size=2)

    class TagFactory(ModelFactory):
        class Meta:
            model = m.Tag
            sqlalchemy_get_or_create = ("label",)

        label = factory.Sequence(lambda n: f"tag-{n}")

    return Factories(
        User=UserFactory, Order=OrderFactory, UserWithOrders=UserWithOrdersFactory, Tag=TagFactory
    )
