"""sqla-wrapper: the helpers datalayer's session API comes from, on a plain SQLAlchemy session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from benchmarks.schema import BenchItem, BenchOrder, BenchUser

from .base import ITEM, NAME, Contender, Keys, NotAvailable, Rows, consume, found, plain_engine

__all__ = ["SqlaWrapperContender"]

_PLAIN = "sqla-wrapper's Session is a plain SQLAlchemy Session here: see sqlalchemy-orm"


class SqlaWrapperContender(Contender):
    """``sqla_wrapper.Session`` sessions on :func:`plain_engine` (the engine the baseline uses)."""

    name = "sqla-wrapper"

    def __init__(self, url: str) -> None:
        import sqla_wrapper

        self.engine = plain_engine(url)
        self.Session: sessionmaker[Any] = sessionmaker(bind=self.engine, class_=sqla_wrapper.Session)

    def engines(self) -> list[Engine]:
        return [self.engine]

    def lookup(self, keys: Keys) -> None:
        with self.Session() as s:
            for key in keys:
                found(s.first(BenchUser, email=key), key)
            s.commit()

    def create(self, keys: Keys) -> None:
        with self.Session() as s:
            for key in keys:
                s.create(BenchUser, email=key, name=NAME)
            s.commit()

    def first_or_create(self, keys: Keys) -> None:
        with self.Session() as s:
            for key in keys:
                found(s.first_or_create(BenchUser, email=key), key)
            s.commit()

    def create_or_first(self, keys: Keys) -> None:
        """Its create_or_first rolls the whole session back on a conflict (earlier work is lost)."""
        with self.Session() as s:
            for key in keys:
                found(s.create_or_first(BenchUser, email=key), key)
            s.commit()

    def web_request(self, keys: Keys) -> None:
        for key in keys:
            with self.Session() as s:
                user = s.first_or_create(BenchUser, email=key)
                s.add(BenchOrder(user_id=user.id, item=ITEM))
                s.commit()

    def bulk_create(self, rows: Rows) -> None:
        raise NotAvailable(f"no bulk create; {_PLAIN}")

    def iterate(self, stream: bool) -> int:
        if stream:
            raise NotAvailable(f"no streaming; {_PLAIN}")
        with self.Session() as s:
            return consume(s.all(BenchItem))

    def page_offset(self, offset: int, size: int) -> int:
        raise NotAvailable(f"no pagination; {_PLAIN}")

    def page_keyset(self, after: int | None, size: int) -> int:
        raise NotAvailable(f"no pagination; {_PLAIN}")
