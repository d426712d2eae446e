"""The floor: the driver itself (sqlite3, psycopg, PyMySQL) sending the statements the ORM sends."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .base import ITEM, NAME, STREAM_BATCH, Contender, Ids, Keys, Rows, check_page, consume_tuples, fresh_name
from .raw_driver import connect

__all__ = ["RawContender"]


class RawContender(Contender):
    """One DBAPI connection (see :func:`connect`); statements counted as they are sent."""

    name = "raw-dbapi"

    def __init__(self, url: str) -> None:
        driver = connect(url)
        self.driver = driver
        self.backend, self.dbapi, self.conn, self.sql = driver.backend, driver.dbapi, driver.conn, driver.sql
        self.sent = 0

    def statements_sent(self) -> int:
        return self.sent

    def close(self) -> None:
        self.conn.close()

    def _run(self, cursor: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
        self.sent += 1
        cursor.execute(sql, params)
        return cursor

    def _begin(self, cursor: Any) -> None:
        if self.backend == "sqlite":  # the other drivers begin implicitly, as under SQLAlchemy
            self._run(cursor, "BEGIN")

    def _insert(self, cursor: Any, key: str, params: tuple[Any, ...] = ()) -> int:
        self._run(cursor, self.sql[key], params)
        return int(cursor.fetchone()[0]) if self.backend == "postgresql" else int(cursor.lastrowid)

    def _create_or_first(self, cursor: Any, key: str) -> int:
        self._run(cursor, "SAVEPOINT sp")
        try:
            user_id = self._insert(cursor, "user", (key, None))
        except self.dbapi.IntegrityError as exc:
            if not self.driver.is_unique_violation(exc):
                raise
            self._run(cursor, "ROLLBACK TO SAVEPOINT sp")
            return int(self._run(cursor, self.sql["lookup"], (key,)).fetchone()[0])
        self._run(cursor, "RELEASE SAVEPOINT sp")
        return user_id

    def _first_or_create(self, cursor: Any, key: str) -> int:
        row = self._run(cursor, self.sql["lookup"], (key,)).fetchone()
        return int(row[0]) if row is not None else self._create_or_first(cursor, key)

    def _batch(self, keys: Sequence[Any], operation: Callable[[Any, Any], object]) -> None:
        cursor = self.conn.cursor()
        try:
            self._begin(cursor)
            for key in keys:
                operation(cursor, key)
        except BaseException:
            self.conn.rollback()  # as a session would: the next workload starts clean
            raise
        self.conn.commit()

    def _read(self, keys: Sequence[object], sql: str, column: int) -> None:
        def one(cursor: Any, key: object) -> None:
            if self._run(cursor, self.sql[sql], (key,)).fetchone()[column] != key:
                raise AssertionError(key)

        self._batch(keys, one)

    def lookup(self, keys: Keys) -> None:
        self._read(keys, "lookup", 1)

    def get(self, ids: Ids) -> None:
        self._read(ids, "by_id", 0)

    def create(self, keys: Keys) -> None:
        def one(cursor: Any, key: str) -> None:
            self._insert(cursor, "user", (key, NAME))

        self._batch(keys, one)

    def first_or_create(self, keys: Keys) -> None:
        self._batch(keys, self._first_or_create)

    def create_or_first(self, keys: Keys) -> None:
        self._batch(keys, self._create_or_first)

    def upsert(self, keys: Keys) -> None:
        def one(cursor: Any, key: str) -> None:
            self._run(cursor, self.sql["upsert"], (key, fresh_name())).fetchone()

        self._batch(keys, one)

    def web_request(self, keys: Keys) -> None:
        def one(cursor: Any, key: str) -> None:
            self._insert(cursor, "order", (self._first_or_create(cursor, key), ITEM))

        for key in keys:
            self._batch([key], one)

    def bulk_create(self, rows: Rows) -> None:
        cursor = self.conn.cursor()
        self._begin(cursor)
        self.sent += 1
        cursor.executemany(self.sql["event"], [(row["kind"], row["payload"], row["n"]) for row in rows])
        self.conn.commit()

    def bulk_copy(self, rows: Rows) -> None:
        """PostgreSQL's binary COPY through psycopg, the physical limit (executemany elsewhere)."""
        if self.backend != "postgresql":
            self.bulk_create(rows)
            return
        self.sent += 1
        with self.conn.cursor() as cursor, cursor.copy(self.sql["copy"]) as copy:
            copy.set_types(["varchar", "varchar", "int4"])
            for row in rows:
                copy.write_row((row["kind"], row["payload"], row["n"]))
        self.conn.commit()

    def iterate(self, stream: bool) -> int:
        if not stream:
            cursor = self.conn.cursor()
            self._begin(cursor)
            count = consume_tuples(self._run(cursor, self.sql["items"]).fetchall())
        elif self.backend == "postgresql":
            cursor = self.conn.cursor(name="bench_stream")  # a server-side cursor
            cursor.itersize = STREAM_BATCH
            count = consume_tuples(self._run(cursor, self.sql["items"]))
        else:  # sqlite3 steps through its cursor lazily; PyMySQL streams with an unbuffered cursor
            cursor = self.conn.cursor(self._unbuffered()) if self.backend == "mysql" else self.conn.cursor()
            self._begin(cursor)
            count = consume_tuples(self._run(cursor, self.sql["items"]))
        cursor.close()
        self.conn.rollback()
        return count

    def _unbuffered(self) -> Any:
        import pymysql.cursors  # type: ignore[import-untyped]

        return pymysql.cursors.SSCursor

    def _page(self, key: str, params: tuple[Any, ...], size: int) -> int:
        cursor = self.conn.cursor()
        self._begin(cursor)
        ids = [row[0] for row in self._run(cursor, self.sql[key], params).fetchall()]
        self.conn.rollback()
        return check_page(ids, size)

    def page_offset(self, offset: int, size: int) -> int:
        return self._page("offset", (size, offset), size)

    def page_keyset(self, after: int | None, size: int) -> int:
        return (
            self._page("first", (size,), size) if after is None else self._page("after", (after, size), size)
        )
