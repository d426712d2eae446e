"""The Galera cluster ``scripts/cluster.sh up`` starts (127.0.0.1:3311-3313): a scratch database on it, a
Database per node, and the nodes' own view of what they hold."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pymysql
import pytest
from sqlalchemy import create_engine, func, make_url, select, text

from datalayer import Database
from datalayer.testing import clean_tables, create_scratch_database, drop_scratch_database
from tests.models import Models, define_models

__all__ = [
    "GALERA_PORTS",
    "Galera",
    "Node",
    "clean",
    "galera_cluster",
    "galera_down",
    "node_url",
    "set_global",
]

GALERA_PORTS = (3311, 3312, 3313)  # fixed: scripts/cluster.sh starts the nodes there
_STATE = text(
    "SELECT variable_name, variable_value FROM information_schema.global_status WHERE variable_name IN "
    "('wsrep_cluster_size', 'wsrep_cluster_status', 'wsrep_local_state_comment')"
)


def node_url(port: int, database: str = "test") -> str:
    """The URL of ``database`` on the node listening on ``port``."""
    return f"mysql+pymysql://root@127.0.0.1:{port}/{database}?charset=utf8mb4"


def node_state(port: int) -> str:
    """What the node on ``port`` says of itself: ``3 Primary Synced`` when all is well."""
    engine = create_engine(node_url(port), connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as connection:
            state = {name.lower(): value for name, value in connection.execute(_STATE)}
    finally:
        engine.dispose()
    return " ".join(
        state.get(name, "?")
        for name in ("wsrep_cluster_size", "wsrep_cluster_status", "wsrep_local_state_comment")
    )


@functools.cache
def galera_down() -> str | None:
    """Why the tests cannot use the cluster (None: three nodes, all synced)."""
    for port in GALERA_PORTS:
        try:
            state = node_state(port)
        except Exception as error:  # any failure to reach a node is the reason to give
            return (
                f"the Galera node on 127.0.0.1:{port} is not up ({type(error).__name__}): "
                "scripts/cluster.sh up starts the cluster"
            )
        if state != "3 Primary Synced":
            return f"the Galera node on 127.0.0.1:{port} is {state!r}, not '3 Primary Synced'"
    return None


@dataclass
class Node:
    """One node's Database, with the test models."""

    port: int
    url: str
    db: Database
    models: Models

    def count(self, model: Any, **where: Any) -> int:
        """Rows of ``model`` (matching ``where``) this node holds once it has applied every earlier commit."""
        with self.db.Session() as dbs:
            dbs.execute(text("SET SESSION wsrep_sync_wait = 1"))  # a causal read: nothing in flight missed
            query = select(func.count()).select_from(model).filter_by(**where)
            return int(dbs.execute(query).scalar_one())


@dataclass
class Galera:
    """A scratch database on the cluster, and a Node on each of its servers."""

    database: str
    nodes: list[Node]

    def url(self, *ports: int) -> str:
        """The database's URL naming the nodes of ``ports`` (every node unless told), in that order."""
        hosts = "&".join(f"host=127.0.0.1:{port}" for port in ports or GALERA_PORTS)
        return f"mysql+pymysql://root@/{self.database}?{hosts}&charset=utf8mb4"


def galera_cluster(**options: Any) -> Iterator[Galera]:
    """A scratch database on the cluster with the test models' tables; skipped if the cluster is down."""
    reason = galera_down()
    if reason is not None:
        pytest.skip(reason)
    url = create_scratch_database(node_url(GALERA_PORTS[0]), prefix="dl_galera_")
    database = make_url(url).database
    assert database is not None
    nodes: list[Node] = []
    try:
        for port in GALERA_PORTS:
            db = Database(node_url(port, database), **options)
            nodes.append(Node(port, node_url(port, database), db, define_models(db)))
        nodes[0].db.create_all()
        for node in nodes[1:]:  # DDL is applied on the other nodes in order, soon after: wait for it
            _wait_for_tables(node)
        yield Galera(database, nodes)
    finally:
        for node in nodes:
            node.db.dispose()
        drop_scratch_database(url, node_url(GALERA_PORTS[0]))


def set_global(port: int, assignment: str) -> None:
    """``SET GLOBAL`` on the node of ``port``, over a connection that sends nothing else (no ROLLBACK)."""
    connection = pymysql.connect(host="127.0.0.1", port=port, user="root", autocommit=True)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET GLOBAL {assignment}")
    finally:
        connection.close()


def clean(galera: Galera) -> None:
    """Delete every row, from the first node (the others follow)."""
    clean_tables(galera.nodes[0].db)


def _wait_for_tables(node: Node) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            node.count(node.models.User)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
