"""Galera's limits, enforced where cheap: a table without a primary key, a transaction too large.

Against the cluster ``scripts/cluster.sh up`` starts (skipped, saying so, when it is down), and the
plain MariaDB server, where neither limit applies.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, inspect, text
from sqlalchemy import exc as sa_exc

from datalayer import UnitOfWork
from datalayer.errors import TransactionAbortedError, UsageError
from tests._galera import Galera, set_global
from tests.conftest import Env


def links_table() -> Table:
    """An association table without a primary key, as many-to-many tables are often declared."""
    return Table("t_links", MetaData(), Column("left_id", Integer), Column("right_id", Integer))


def test_a_table_without_a_primary_key_is_refused_on_a_galera_node_naming_it(galera: Galera) -> None:
    node = galera.nodes[0]
    links = links_table()
    with pytest.raises(UsageError, match=r"'t_links' has no primary key.*Galera"):
        links.create(node.db.engine)
    assert not inspect(node.db.engine).has_table("t_links")


@pytest.mark.only("mariadb")
def test_a_table_without_a_primary_key_is_created_on_a_server_outside_a_cluster(server_env: Env) -> None:
    links = links_table()
    links.create(server_env.db.engine)
    try:
        assert inspect(server_env.db.engine).has_table("t_links")
    finally:
        links.drop(server_env.db.engine)


def test_a_transaction_past_wsrep_max_ws_rows_is_rolled_back_whole_and_its_commit_refused(
    galera: Galera,
) -> None:
    node = galera.nodes[0]
    twenty_rows = text("INSERT INTO t_users (email) SELECT CONCAT('r', seq, '@x.org') FROM seq_1_to_20")
    set_global(node.port, "wsrep_max_ws_rows = 10")
    try:
        with (
            pytest.raises(TransactionAbortedError, match="wsrep_max_ws_rows exceeded"),
            UnitOfWork(node.db) as uow,
        ):
            uow.session.create(node.models.User, email="first@x.org")
            with pytest.raises(sa_exc.OperationalError, match="wsrep_max_ws_rows exceeded"):
                uow.session.execute(twenty_rows)  # the server rolls the whole transaction back
            uow.session.create(node.models.User, email="after@x.org")  # would begin another
    finally:
        set_global(node.port, "wsrep_max_ws_rows = DEFAULT")
    assert node.count(node.models.User) == 0  # neither the first row nor the one after: none of it
