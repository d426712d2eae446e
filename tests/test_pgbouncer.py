"""Through PgBouncer in transaction mode: the race suites, read-only units and the soak,: Database told so.

``Database(url, pooler="transaction")``: psycopg prepares no statement (the server connection
changes hands between transactions) and nothing sets a session-level setting that would outlive
a transaction. The tests of ``test_races``, ``test_isolation_levels``, ``test_read_only`` and
``test_soak`` run here again, their ``server_env`` and ``env`` being the run's PostgreSQL database
reached through PgBouncer (``scripts/cluster.sh up`` starts it on 6432), on the native
``create_or_first`` path and the SAVEPOINT one; skipped, saying so, when PgBouncer is down.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from datalayer import Database
from datalayer.testing import clean_tables
from tests._pgbouncer import bouncer_down, through_bouncer
from tests.conftest import _SERVER_NAMES, Env, _cached_env
from tests.models import define_models
from tests.test_isolation_levels import (
    test_each_call_returns_the_row_or_a_retryable_error,
    test_every_call_succeeds_through_run_and_the_retries_are_counted,
    test_several_keys_in_sorted_order_never_deadlock_under_read_committed,
)
from tests.test_races import (
    test_forty_units_of_work_racing_on_one_key_get_one_row_and_the_same_id,
    test_racing_processes_get_one_row_and_the_same_id,
    test_racing_scoped_sessions_get_one_row_and_the_same_id,
    test_racing_units_of_work_get_one_row_and_the_same_id,
)
from tests.test_read_only import (
    test_a_read_only_unit_never_commits,
    test_a_read_only_unit_reads,
    test_a_subclass_can_be_read_only_and_the_connection_is_writable_afterwards,
    test_changes_are_refused_before_anything_is_sent,
    test_the_database_refuses_raw_writes,
)
from tests.test_soak import (
    test_sixteen_threads_of_mixed_units_lose_no_row_leak_no_connection_and_keep_memory_flat,
)

__all__ = [
    "test_a_read_only_unit_never_commits",
    "test_a_read_only_unit_reads",
    "test_a_subclass_can_be_read_only_and_the_connection_is_writable_afterwards",
    "test_changes_are_refused_before_anything_is_sent",
    "test_each_call_returns_the_row_or_a_retryable_error",
    "test_every_call_succeeds_through_run_and_the_retries_are_counted",
    "test_forty_units_of_work_racing_on_one_key_get_one_row_and_the_same_id",
    "test_racing_processes_get_one_row_and_the_same_id",
    "test_racing_scoped_sessions_get_one_row_and_the_same_id",
    "test_racing_units_of_work_get_one_row_and_the_same_id",
    "test_several_keys_in_sorted_order_never_deadlock_under_read_committed",
    "test_sixteen_threads_of_mixed_units_lose_no_row_leak_no_connection_and_keep_memory_flat",
    "test_the_database_refuses_raw_writes",
]

_VARIANTS = ["postgresql+pgbouncer", "postgresql+pgbouncer/savepoint"]
_PARAMS = _VARIANTS if "postgresql" in _SERVER_NAMES else []


def bouncer_env(
    variant: str, cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    """The run's PostgreSQL database (its tables, its rows) through PgBouncer, on a Database told so."""
    strategy = variant.partition("/")[2]
    direct = _cached_env(f"postgresql/{strategy}" if strategy else "postgresql", cache, tmp_path_factory)
    reason = bouncer_down(direct.url)
    if reason is not None:
        pytest.skip(reason)
    options = {**direct.engine_options, "pooler": "transaction"}
    url = through_bouncer(direct.url)
    db = Database(url, **options)
    yield Env("postgresql", url, db, define_models(db), options)
    db.dispose()
    clean_tables(direct.db)


@pytest.fixture(params=_PARAMS)
def server_env(
    request: pytest.FixtureRequest, _env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    """The imported tests' ``server_env``: PostgreSQL through PgBouncer."""
    yield from bouncer_env(request.param, _env_cache, tmp_path_factory)


@pytest.fixture(params=_PARAMS)
def env(
    request: pytest.FixtureRequest, _env_cache: dict[str, Env], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    """The imported tests' ``env``: PostgreSQL through PgBouncer."""
    yield from bouncer_env(request.param, _env_cache, tmp_path_factory)
