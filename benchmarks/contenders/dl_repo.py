"""datalayer through a unit of work and its repositories: ``with BenchUnit(db) as uow: ...``."""

from __future__ import annotations

from .base import ITEM, NAME, Keys, Rows, check_page, consume, found, fresh_name
from .dl_common import BenchUnit, DatalayerContender, api, consume_stream, page_items

__all__ = ["DatalayerRepositories"]


class DatalayerRepositories(DatalayerContender):
    """``with BenchUnit(db) as uow: uow.users.first_or_create(...)`` (commits on exit)."""

    name = "datalayer-repo"

    def lookup(self, keys: Keys) -> None:
        with BenchUnit(self.db) as uow:
            for key in keys:
                found(uow.users.first(email=key), key)

    def create(self, keys: Keys) -> None:
        with BenchUnit(self.db) as uow:
            for key in keys:
                uow.users.create(email=key, name=NAME)

    def first_or_create(self, keys: Keys) -> None:
        with BenchUnit(self.db) as uow:
            for key in keys:
                found(uow.users.first_or_create(email=key), key)

    def create_or_first(self, keys: Keys) -> None:
        with BenchUnit(self.db) as uow:
            for key in keys:
                found(uow.users.create_or_first(email=key), key)

    def upsert(self, keys: Keys) -> None:
        with BenchUnit(self.db) as uow:
            upsert = api(uow.users, "upsert")
            for key in keys:
                found(upsert(match=("email",), email=key, name=fresh_name()), key)

    def web_request(self, keys: Keys) -> None:
        for key in keys:
            with BenchUnit(self.db) as uow:
                user = uow.users.first_or_create(email=key)
                uow.orders.create(user_id=user.id, item=ITEM)

    def bulk_create(self, rows: Rows) -> None:
        with BenchUnit(self.db) as uow:
            api(uow.events, "create_many")(rows)

    def iterate(self, stream: bool) -> int:
        with BenchUnit(self.db) as uow:
            if stream:
                return consume_stream(api(uow.items, "stream")())
            return consume(uow.items.all())

    def page_keyset(self, after: int | None, size: int) -> int:
        with BenchUnit(self.db) as uow:
            page = api(uow.items, "page")
            result = page(size=size) if after is None else page(after=after, size=size)
            return check_page([item.id for item in page_items(result)], size)
