"""The raw driver's connection and SQL, per backend: what the raw-DBAPI contender sends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine

__all__ = ["Driver", "connect"]

_SQL = {
    "lookup": "SELECT id, email, name FROM bench_users WHERE email = %s",
    "by_id": "SELECT id, email, name FROM bench_users WHERE id = %s",
    "view_lookup": "SELECT id, email FROM bench_users WHERE email = %s",
    "view_by_id": "SELECT id, email FROM bench_users WHERE id = %s",
    "user": "INSERT INTO bench_users (email, name) VALUES (%s, %s)",
    "order": "INSERT INTO bench_orders (user_id, item) VALUES (%s, %s)",
    "event": "INSERT INTO bench_events (kind, payload, n) VALUES (%s, %s, %s)",
    "copy": "COPY bench_events (kind, payload, n) FROM STDIN (FORMAT BINARY)",
    "items": "SELECT id, sku, payload, n FROM bench_items ORDER BY id",
    "offset": "SELECT id, sku, payload, n FROM bench_items ORDER BY id LIMIT %s OFFSET %s",
    "first": "SELECT id, sku, payload, n FROM bench_items ORDER BY id LIMIT %s",
    "after": "SELECT id, sku, payload, n FROM bench_items WHERE id > %s ORDER BY id LIMIT %s",
}
_UPSERT = {
    "postgresql": "INSERT INTO bench_users (email, name) VALUES (%s, %s) "
    "ON CONFLICT (email) DO UPDATE SET name = excluded.name RETURNING id",
    "mysql": "INSERT INTO bench_users (email, name) VALUES (%s, %s) "
    "ON DUPLICATE KEY UPDATE name = VALUES(name) RETURNING id",
}
_UNIQUE = {"sqlite": (1555, 2067), "postgresql": ("23505",), "mysql": (1062, 1586)}


@dataclass
class Driver:
    """A DBAPI connection with the statements for its backend ("sqlite", "postgresql" or "mysql")."""

    backend: str
    dbapi: Any
    conn: Any
    sql: dict[str, str]

    def is_unique_violation(self, exc: Any) -> bool:
        if self.backend == "sqlite":
            code = exc.sqlite_errorcode
        elif self.backend == "postgresql":
            code = exc.sqlstate
        else:  # PyMySQL: the server error number comes first (its sqlstate is the generic 23000)
            code = exc.args[0] if exc.args else None
        return code in _UNIQUE[self.backend]


def connect(url: str) -> Driver:
    """Connect like the engines do: explicit BEGIN on SQLite, READ COMMITTED on MariaDB."""
    engine = create_engine(url)  # only to read the connect arguments; never connects
    dialect = engine.dialect
    backend = "mysql" if dialect.name == "mariadb" else dialect.name
    args, kwargs = dialect.create_connect_args(engine.url)
    engine.dispose()
    conn = dialect.loaded_dbapi.connect(*args, **kwargs)
    returning = " RETURNING id" if backend == "postgresql" else ""
    sql = {key: text + (returning if key in ("user", "order") else "") for key, text in _SQL.items()}
    sql["upsert"] = _UPSERT.get(backend, _UPSERT["postgresql"])
    if backend == "sqlite":
        conn.isolation_level = None
        conn.execute("PRAGMA foreign_keys = ON")
        sql = {key: text.replace("%s", "?") for key, text in sql.items()}
    elif backend == "mysql":
        conn.cursor().execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        conn.commit()
    return Driver(backend, dialect.loaded_dbapi, conn, sql)
