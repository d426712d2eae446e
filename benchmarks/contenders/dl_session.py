"""datalayer through its session helpers: ``with db.Session() as dbs: ...; dbs.commit()``."""

from __future__ import annotations

from benchmarks.schema import BenchEvent, BenchItem, BenchOrder, BenchUser

from .base import ITEM, NAME, Keys, Rows, check_page, consume, found, fresh_name
from .dl_common import DatalayerContender, api, consume_stream, page_items

__all__ = ["DatalayerSession"]


class DatalayerSession(DatalayerContender):
    """``with db.Session() as dbs: dbs.first_or_create(...); dbs.commit()``."""

    name = "datalayer-session"

    def lookup(self, keys: Keys) -> None:
        with self.db.Session() as dbs:
            for key in keys:
                found(dbs.first(BenchUser, email=key), key)
            dbs.commit()

    def create(self, keys: Keys) -> None:
        with self.db.Session() as dbs:
            for key in keys:
                dbs.create(BenchUser, email=key, name=NAME)
            dbs.commit()

    def first_or_create(self, keys: Keys) -> None:
        with self.db.Session() as dbs:
            for key in keys:
                found(dbs.first_or_create(BenchUser, email=key), key)
            dbs.commit()

    def create_or_first(self, keys: Keys) -> None:
        with self.db.Session() as dbs:
            for key in keys:
                found(dbs.create_or_first(BenchUser, email=key), key)
            dbs.commit()

    def upsert(self, keys: Keys) -> None:
        with self.db.Session() as dbs:
            upsert = api(dbs, "upsert")
            for key in keys:
                found(upsert(BenchUser, match=("email",), email=key, name=fresh_name()), key)
            dbs.commit()

    def web_request(self, keys: Keys) -> None:
        for key in keys:
            with self.db.Session() as dbs:
                user = dbs.first_or_create(BenchUser, email=key)
                dbs.create(BenchOrder, user_id=user.id, item=ITEM)
                dbs.commit()

    def bulk_create(self, rows: Rows) -> None:
        with self.db.Session() as dbs:
            api(dbs, "create_many")(BenchEvent, rows)
            dbs.commit()

    def bulk_load(self, rows: Rows) -> None:
        """``create_many(..., returning=False)``: no objects; COPY on PostgreSQL with psycopg."""
        with self.db.Session() as dbs:
            api(dbs, "create_many")(BenchEvent, rows, returning=False)
            dbs.commit()

    def per_row_create(self, rows: Rows) -> None:
        """The same rows, one ``create`` (one flush) each, in one transaction."""
        with self.db.Session() as dbs:
            for row in rows:
                dbs.create(BenchEvent, **row)
            dbs.commit()

    def iterate(self, stream: bool) -> int:
        with self.db.Session() as dbs:
            if stream:
                return consume_stream(api(dbs, "stream_all")(BenchItem))
            return consume(dbs.all(BenchItem))

    def page_keyset(self, after: int | None, size: int) -> int:
        with self.db.Session() as dbs:
            page = api(dbs, "page")
            result = page(BenchItem, size=size) if after is None else page(BenchItem, after=after, size=size)
            return check_page([item.id for item in page_items(result)], size)
