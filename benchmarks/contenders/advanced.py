"""advanced-alchemy: its synchronous repositories, with their default settings, on plain sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.schema import BenchEvent, BenchItem, BenchOrder, BenchUser

from .base import (
    ITEM,
    NAME,
    Contender,
    Keys,
    NotAvailable,
    Rows,
    check_page,
    consume,
    found,
    fresh_name,
    plain_engine,
)

__all__ = ["AdvancedAlchemyContender"]


class AdvancedAlchemyContender(Contender):
    """``SQLAlchemySyncRepository`` per model, built on each session (defaults: refresh after add).

    get-or-create is ``get_or_upsert(match_fields=["email"], upsert=False)``: a read,
    then an insert on a miss, with no savepoint. It is also the nearest equivalent of
    create_or_first, which advanced-alchemy does not have.
    """

    name = "advanced-alchemy"

    def __init__(self, url: str) -> None:
        from advanced_alchemy.repository import SQLAlchemySyncRepository

        def repository(model: type[Any]) -> Any:
            return type(f"{model.__name__}Repository", (SQLAlchemySyncRepository,), {"model_type": model})

        self.users, self.orders = repository(BenchUser), repository(BenchOrder)
        self.items, self.events = repository(BenchItem), repository(BenchEvent)
        self.engine = plain_engine(url)
        self.Session = sessionmaker(self.engine)

    def engines(self) -> list[Engine]:
        return [self.engine]

    def _get_or_create(self, session: Session, key: str) -> Any:
        user, _created = self.users(session=session).get_or_upsert(
            match_fields=["email"], upsert=False, email=key
        )
        return user

    def lookup(self, keys: Keys) -> None:
        with self.Session.begin() as session:
            users = self.users(session=session)
            for key in keys:
                found(users.get_one_or_none(email=key), key)

    def create(self, keys: Keys) -> None:
        with self.Session.begin() as session:
            users = self.users(session=session)
            for key in keys:
                users.add(BenchUser(email=key, name=NAME))

    def first_or_create(self, keys: Keys) -> None:
        with self.Session.begin() as session:
            for key in keys:
                found(self._get_or_create(session, key), key)

    create_or_first = first_or_create

    def upsert(self, keys: Keys) -> None:
        """Its ``upsert(data, match_fields=["email"])``: it reads the row by the match fields, then merges."""
        with self.Session.begin() as session:
            users = self.users(session=session)
            for key in keys:
                found(users.upsert(BenchUser(email=key, name=fresh_name()), match_fields=["email"]), key)

    def web_request(self, keys: Keys) -> None:
        for key in keys:
            with self.Session.begin() as session:
                user = self._get_or_create(session, key)
                self.orders(session=session).add(BenchOrder(user_id=user.id, item=ITEM))

    def bulk_create(self, rows: Rows) -> None:
        with self.Session.begin() as session:
            self.events(session=session).add_many([BenchEvent(**row) for row in rows])

    def iterate(self, stream: bool) -> int:
        from advanced_alchemy.filters import OrderBy

        if stream:
            raise NotAvailable("no streaming API (get_many returns a list)")
        with self.Session() as session:
            return consume(self.items(session=session).get_many(OrderBy(field_name="id", sort_order="asc")))

    def page_offset(self, offset: int, size: int) -> int:
        from advanced_alchemy.filters import LimitOffset, OrderBy

        with self.Session() as session:
            order, window = OrderBy(field_name="id", sort_order="asc"), LimitOffset(limit=size, offset=offset)
            return check_page([item.id for item in self.items(session=session).get_many(order, window)], size)

    def page_keyset(self, after: int | None, size: int) -> int:
        raise NotAvailable("no keyset pagination (LimitOffset only)")
