"""The contenders, built by name; one whose package is missing answers "n/a" to everything."""

from __future__ import annotations

import importlib

from .base import Contender, Ids, Keys, NotAvailable, Rows

__all__ = ["Contender", "NotAvailable", "Unavailable", "build"]

_CLASSES = {
    "datalayer-session": ("dl_session", "DatalayerSession"),
    "datalayer-repo": ("dl_repo", "DatalayerRepositories"),
    "datalayer-view-session": ("dl_views", "DatalayerViewSession"),
    "datalayer-view-repo": ("dl_views", "DatalayerViewRepositories"),
    "sqlalchemy-orm": ("orm", "OrmContender"),
    "raw-dbapi": ("raw", "RawContender"),
    "raw-dbapi-views": ("raw_views", "RawReadModels"),
    "sqla-wrapper": ("wrapper", "SqlaWrapperContender"),
    "advanced-alchemy": ("advanced", "AdvancedAlchemyContender"),
    "datalayer-async-session": ("async_dl", "DatalayerAsyncSession"),
    "datalayer-async-repo": ("async_dl", "DatalayerAsyncRepositories"),
    "sqlalchemy-async-orm": ("async_orm", "AsyncOrmContender"),
    "advanced-alchemy-async": ("async_advanced", "AdvancedAlchemyAsyncContender"),
}


class Unavailable(Contender):
    """A contender that cannot run here (its package is not installed): every workload is n/a."""

    name = "unavailable"

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def lookup(self, keys: Keys) -> None:
        raise NotAvailable(self.reason)

    def get(self, ids: Ids) -> None:
        raise NotAvailable(self.reason)

    def create(self, keys: Keys) -> None:
        raise NotAvailable(self.reason)

    def first_or_create(self, keys: Keys) -> None:
        raise NotAvailable(self.reason)

    def create_or_first(self, keys: Keys) -> None:
        raise NotAvailable(self.reason)

    def upsert(self, keys: Keys) -> None:
        raise NotAvailable(self.reason)

    def web_request(self, keys: Keys) -> None:
        raise NotAvailable(self.reason)

    def bulk_create(self, rows: Rows) -> None:
        raise NotAvailable(self.reason)

    def iterate(self, stream: bool) -> int:
        raise NotAvailable(self.reason)

    def page_offset(self, offset: int, size: int) -> int:
        raise NotAvailable(self.reason)

    def page_keyset(self, after: int | None, size: int) -> int:
        raise NotAvailable(self.reason)


def build(name: str, url: str) -> Contender:
    """The contender ``name`` on the database at ``url``."""
    module_name, class_name = _CLASSES[name]
    try:  # sqla-wrapper, advanced-alchemy, greenlet and the asyncio drivers are optional
        module = importlib.import_module(f"{__name__}.{module_name}")
        contender: Contender = getattr(module, class_name)(url)
    except ImportError as exc:  # a module's own message (datalayer.asyncio's) says what to install
        return Unavailable(f"{exc.name} is not installed" if exc.name else str(exc))
    return contender
