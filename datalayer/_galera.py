"""Galera's limits that datalayer checks: a table without a primary key is refused on a Galera node.

Galera replicates each row change by the row's primary key: without one, a DELETE is
not supported and the nodes may apply changes to different rows. Creating such a
table on a node of a cluster (``CREATE TABLE`` from ``create_all()``, or from a
migration) raises :class:`~datalayer.errors.UsageError` naming it, before anything is
sent; the server is asked whether it is a Galera node only then (one query). The other
limits (LOCK TABLES, SERIALIZABLE, the size of a transaction) are in the docs' Scaling
out page; a transaction that exceeds ``wsrep_max_ws_rows`` is rolled back whole by the
server, and the transaction guard refuses its COMMIT.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.engine import Connection

from .errors import UsageError

__all__ = ["install", "is_galera_node"]

_WSREP_ON = text(
    "SELECT variable_value FROM information_schema.global_variables WHERE variable_name = 'WSREP_ON'"
)


def is_galera_node(connection: Connection) -> bool:
    """Whether ``connection`` is to a node of a Galera cluster (MariaDB with replication on)."""
    if connection.dialect.name not in ("mysql", "mariadb"):
        return False
    return connection.execute(_WSREP_ON).scalar() == "ON"


def install() -> None:
    """Check every table created from now on (once MariaDB is used: a Galera node is one)."""
    if not event.contains(Table, "before_create", _refuse_without_primary_key):
        event.listen(Table, "before_create", _refuse_without_primary_key)


def _refuse_without_primary_key(table: Table, connection: Connection, **_kw: Any) -> None:
    if table.primary_key.columns or not is_galera_node(connection):
        return
    raise UsageError(
        f"table {table.name!r} has no primary key, and this is a node of a Galera cluster, which "
        "replicates rows by their primary key (a DELETE is not supported without one, and the nodes "
        "could change different rows): give it one (an association table: its pair of columns)"
    )
