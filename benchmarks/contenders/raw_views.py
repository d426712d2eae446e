"""The floor of a read model: the driver's rows, each made into the view's class by hand.

What hand-written read-side code does (a query, then ``UserRow(*row)``): the same
statements as the raw contender's, selecting the view's columns, and the same
attrs classes the datalayer view contenders return.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .base import STREAM_BATCH, Ids, Keys, check_page, consume
from .dl_views import ItemRow, UserRow
from .raw import RawContender

__all__ = ["RawReadModels"]


class RawReadModels(RawContender):
    """:class:`RawContender` building ``UserRow`` / ``ItemRow`` objects from its rows."""

    name = "raw-dbapi-views"

    def _one(self, keys: Sequence[object], sql: str, column: int) -> None:
        def one(cursor: Any, key: object) -> None:
            row = UserRow(*self._run(cursor, self.sql[sql], (key,)).fetchone())
            if (row.id, row.email)[column] != key:
                raise AssertionError(key)

        self._batch(keys, one)

    def lookup(self, keys: Keys) -> None:
        self._one(keys, "view_lookup", 1)

    def get(self, ids: Ids) -> None:
        self._one(ids, "view_by_id", 0)

    def _page(self, key: str, params: tuple[Any, ...], size: int) -> int:
        cursor = self.conn.cursor()
        self._begin(cursor)
        ids = [item.id for item in _items(self._run(cursor, self.sql[key], params).fetchall())]
        self.conn.rollback()
        return check_page(ids, size)

    def iterate(self, stream: bool) -> int:
        if not stream:
            raise NotImplementedError("views are measured streaming")
        if self.backend == "postgresql":
            cursor = self.conn.cursor(name="bench_stream_views")  # a server-side cursor
            cursor.itersize = STREAM_BATCH
        else:  # sqlite3 steps through its cursor lazily; PyMySQL streams with an unbuffered cursor
            cursor = self.conn.cursor(self._unbuffered()) if self.backend == "mysql" else self.conn.cursor()
            self._begin(cursor)
        count = consume(_items(self._run(cursor, self.sql["items"])))
        cursor.close()
        self.conn.rollback()
        return count


def _items(rows: Iterable[Sequence[Any]]) -> Iterator[ItemRow]:
    return (ItemRow(*row) for row in rows)
