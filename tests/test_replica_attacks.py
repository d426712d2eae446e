"""Read replicas attacked from the side: commits the router could miss, tokens, failures, leaks.

Against the replicas ``scripts/cluster.sh up`` starts, as ``test_replicas.py``;
skipped, saying so, when they are not up.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from datalayer import UnitOfWork
from datalayer.testing import clean_tables
from tests._replicas import routed_env
from tests.conftest import _SERVER_NAMES, Env, _cached_env


@pytest.fixture(params=_SERVER_NAMES)
def base(
    request: pytest.FixtureRequest, _env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    env = _cached_env(request.param, _env_cache, tmp_path_factory)
    yield env
    clean_tables(env.db)


@pytest.fixture
def postgresql(_env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    if "postgresql" not in _SERVER_NAMES:
        pytest.skip("no PostgreSQL server: DATALAYER_TEST_POSTGRESQL_URL is not set")
    env = _cached_env("postgresql", _env_cache, tmp_path_factory)
    yield env
    clean_tables(env.db)


def test_a_commit_made_with_synchronous_commit_off_is_seen_too(postgresql: Env) -> None:
    # Such a commit returns before its WAL is written out: the primary's WAL *write*
    # position may still be short of it, while the commit is visible on the primary.
    side = routed_env(postgresql, connect_args={"options": "-c synchronous_commit=off"})
    routed = next(side)
    User = routed.models.User
    try:
        for n in range(20):
            with UnitOfWork(routed.db) as uow:
                uow.session.create(User, email=f"async{n}@x.org")
            with UnitOfWork(routed.db, read_only=True) as uow:
                found = uow.session.first(User, email=f"async{n}@x.org")
                assert found is not None, f"pair {n} missed its write"
    finally:
        next(side, None)
