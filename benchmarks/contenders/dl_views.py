"""datalayer's read views: the same reads as the entities', built straight from rows into view objects.

``UserRow`` is a view of two of the user's three columns; ``ItemRow`` a view of every item column (the
stream and the page read the same columns as the raw driver and the ORM).
"""

from __future__ import annotations

import attrs

from benchmarks.schema import BenchItem, BenchUser
from datalayer import UnitOfWork, view
from repositories import Repository

from .base import STREAM_BATCH, Ids, Keys, check_page, consume, found, found_id
from .dl_common import DatalayerContender, api

__all__ = ["DatalayerViewRepositories", "DatalayerViewSession", "ItemRow", "UserRow"]


@view(BenchUser)
@attrs.frozen
class UserRow:
    """A user's key and email: what a lookup reads."""

    id: int
    email: str


@view(BenchItem)
@attrs.frozen
class ItemRow:
    """Every column of an item."""

    id: int
    sku: str
    payload: str
    n: int


class ViewUnit(UnitOfWork):
    """A unit of work with a repository per view."""

    users: Repository[UserRow]
    items: Repository[ItemRow]


class DatalayerViewSession(DatalayerContender):
    """``dbs.first(UserRow, email=...)``, ``dbs.get(UserRow, id)``, in a session of ``db.Session``."""

    name = "datalayer-view-session"

    def lookup(self, keys: Keys) -> None:
        with self.db.Session() as dbs:
            for key in keys:
                found(dbs.first(UserRow, email=key), key)
            dbs.commit()

    def get(self, ids: Ids) -> None:
        with self.db.Session() as dbs:
            for ident in ids:
                found_id(dbs.get(UserRow, ident), ident)
            dbs.commit()

    def iterate(self, stream: bool) -> int:
        with self.db.Session() as dbs:
            if stream:
                return consume(api(dbs, "stream")(ItemRow, batch_size=STREAM_BATCH))
            return consume(dbs.all(ItemRow))

    def page_keyset(self, after: int | None, size: int) -> int:
        with self.db.Session() as dbs:
            rows = api(dbs, "page")(ItemRow, size=size, after=after)
            return check_page([row.id for row in rows], size)


class DatalayerViewRepositories(DatalayerContender):
    """``uow.users.first(email=...)`` on a ``Repository[UserRow]`` of a unit of work (commits on exit)."""

    name = "datalayer-view-repo"

    def lookup(self, keys: Keys) -> None:
        with ViewUnit(self.db) as uow:
            for key in keys:
                found(uow.users.first(email=key), key)

    def get(self, ids: Ids) -> None:
        with ViewUnit(self.db) as uow:
            for ident in ids:
                found_id(uow.users.get(ident), ident)

    def iterate(self, stream: bool) -> int:
        with ViewUnit(self.db) as uow:
            return consume(uow.items.stream(batch_size=STREAM_BATCH) if stream else uow.items.all())

    def page_keyset(self, after: int | None, size: int) -> int:
        with ViewUnit(self.db) as uow:
            return check_page([row.id for row in uow.items.page(size=size, after=after)], size)
