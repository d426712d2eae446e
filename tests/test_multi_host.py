"""Several addresses for one primary: ``?host=h1:port1&host=h2:port2`` in a Database's URL.

libpq tries them itself on PostgreSQL (``target_session_attrs=read-write`` skips a read-only server: the
replica ``scripts/cluster.sh up`` starts on 5433); datalayer does it for MariaDB's drivers. The Galera
failover tests are in ``test_galera_failover``.
"""

from __future__ import annotations

import pytest
from sqlalchemy import make_url, text

from datalayer import Database, UnitOfWork
from datalayer.asyncio import AsyncDatabase, AsyncUnitOfWork
from datalayer.errors import UsageError
from tests._replicas import REPLICA_PORTS, routed_env
from tests.conftest import Env, async_driver_url
from tests.models import define_models

_PORT = {"postgresql": "SELECT inet_server_port()", "mariadb": "SELECT @@port"}
_CLOSED = 1  # nothing listens on port 1


def multi_host(url: str, *ports: int, **query: str) -> str:
    """``url`` with its host given as ``host=`` once per port, in that order."""
    parsed = make_url(url)
    hosts = {"host": [f"127.0.0.1:{port}" for port in ports]}
    return parsed._replace(host=None, port=None).update_query_dict({**hosts, **query}).render_as_string(False)


def test_a_database_connects_to_the_first_host_that_answers_and_works_there(server_base: Env) -> None:
    primary = make_url(server_base.url).port or {"postgresql": 5432, "mariadb": 3306}[server_base.backend]
    db = Database(multi_host(server_base.url, _CLOSED, primary), **server_base.engine_options)
    try:
        models = define_models(db)
        with UnitOfWork(db) as uow:
            assert uow.session.execute(text(_PORT[server_base.backend])).scalar_one() == primary
            uow.repository(models.User).create(email="multi@x.org")
        with UnitOfWork(server_base.db) as uow:
            assert uow.repository(server_base.models.User).first(email="multi@x.org") is not None
    finally:
        db.dispose()


@pytest.mark.only("postgresql")
def test_a_postgresql_url_naming_the_replica_first_lands_on_the_primary_with_target_session_attrs(
    server_base: Env,
) -> None:
    next(routed_env(server_base), None)  # skipped, saying why, when the replica is down
    url = multi_host(server_base.url, REPLICA_PORTS["postgresql"], 5432, target_session_attrs="read-write")
    db = Database(url)
    try:
        with UnitOfWork(db) as uow:
            assert uow.session.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is False
            uow.repository(define_models(db).User).create(email="primary@x.org")
    finally:
        db.dispose()
    plain = Database(
        multi_host(server_base.url, REPLICA_PORTS["postgresql"], 5432)
    )  # without it: the replica
    try:
        with plain.engine.connect() as connection:
            assert connection.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is True
    finally:
        plain.dispose()


@pytest.mark.only("mariadb")
async def test_an_async_mariadb_database_tries_each_host_too(server_base: Env) -> None:
    adb = AsyncDatabase(async_driver_url(multi_host(server_base.url, _CLOSED, 3306), "aiomysql"))
    try:
        async with AsyncUnitOfWork(adb) as uow:
            assert (await uow.session.execute(text("SELECT @@port"))).scalar_one() == 3306
    finally:
        await adb.dispose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql+pymysql://root@db1/app?host=db2:3306", "names a host before the database"),
        ("mysql+pymysql://root@/app?host=db1:port", "give host or host:port"),
        ("mysql+pymysql://root@/app?host=db1:3306&host=db2:70000", "give host or host:port"),
    ],
)
def test_badly_given_hosts_are_refused_naming_them(url: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Database(url)
