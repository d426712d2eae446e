"""A MariaDB Galera cluster: writes on every node, conflicts settled at COMMIT by certification.

Against the three nodes ``scripts/cluster.sh up`` starts (127.0.0.1:3311-3313); skipped, saying so,
when the cluster is not up. Each test has a scratch database on the cluster of its module's own.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter

import pytest
from sqlalchemy import exc as sa_exc

from datalayer import UnitOfWork, run
from datalayer.errors import CertificationConflictError, DeadlockError, RetryableError
from tests._galera import Galera, Node
from tests._race import fresh_keys, run_race

THREADS_PER_NODE = 8
HOT_KEYS = 100


def test_a_unit_that_loses_to_another_nodes_commit_fails_at_commit_as_a_certification_conflict(
    galera: Galera,
) -> None:
    first, second = galera.nodes[0], galera.nodes[1]
    with (
        pytest.raises(CertificationConflictError, match="another node") as raised,
        UnitOfWork(second.db) as loser,
    ):
        loser.session.create(second.models.User, email="k@x.org")  # inserted on the second node
        with UnitOfWork(first.db) as winner:
            winner.session.create(first.models.User, email="k@x.org")  # committed first, on the first
    assert isinstance(raised.value, DeadlockError) and isinstance(raised.value, RetryableError)
    cause = raised.value.__cause__
    assert isinstance(cause, sa_exc.OperationalError) and cause.orig.args[0] == 1213
    for node in galera.nodes:
        assert node.count(node.models.User, email="k@x.org") == 1


def test_run_retries_the_loser_whose_create_or_first_then_returns_the_winners_row(galera: Galera) -> None:
    first, second = galera.nodes[0], galera.nodes[1]
    retried: list[BaseException] = []

    def work(uow: UnitOfWork) -> int:
        user = uow.repository(second.models.User).create_or_first(email="k@x.org", name="loser")
        if not retried:  # the first attempt: another node commits the key before this unit does
            with UnitOfWork(first.db) as winner:
                winner.repository(first.models.User).create(email="k@x.org", name="winner")
        return int(user.id)

    found = run(lambda: UnitOfWork(second.db), work, on_retry=lambda _n, error, _d: retried.append(error))
    assert [type(error) for error in retried] == [CertificationConflictError]
    with UnitOfWork(first.db) as uow:
        assert uow.repository(first.models.User).get(found).name == "winner"


def test_racing_create_or_first_on_three_nodes_ends_with_one_row_per_key_that_every_caller_gets(
    galera: Galera,
) -> None:
    keys = fresh_keys(HOT_KEYS)
    retries: Counter[str] = Counter()
    lock = threading.Lock()
    turn = itertools.count()
    mine = threading.local()

    def count_retry(_attempt: int, error: RetryableError, _delay: float) -> None:
        with lock:
            retries[type(error).__name__] += 1

    def attempt(key: str) -> int:
        if not hasattr(mine, "node"):  # each racing thread keeps to one node: eight threads on each
            mine.node = galera.nodes[next(turn) % len(galera.nodes)]
        node: Node = mine.node

        def create_or_first(uow: UnitOfWork) -> int:
            return int(uow.repository(node.models.User).create_or_first(email=key).id)

        return run(lambda: UnitOfWork(node.db), create_or_first, attempts=30, on_retry=count_retry)

    threads = THREADS_PER_NODE * len(galera.nodes)
    ids, errors = run_race(threads, keys, attempt)
    assert errors == [], errors[:3]
    units = threads * len(keys)
    print(
        f"\ngalera: {threads} threads over {len(galera.nodes)} nodes x {len(keys)} keys = {units} units; "
        f"retries {dict(retries)} = {1000 * sum(retries.values()) / units:.0f} per 1,000 units"
    )
    for node in galera.nodes:  # rows expected = rows found, on every node
        assert node.count(node.models.User) == len(keys)
    with UnitOfWork(galera.nodes[0].db) as uow:
        users = {user.email: user.id for user in uow.repository(galera.nodes[0].models.User).all()}
    disagreements = [key for key in keys if ids[key] != [users[key]] * threads]
    assert disagreements == [], {key: ids[key] for key in disagreements[:3]}
    assert set(retries) <= {"CertificationConflictError", "DeadlockError", "StaleConflictError"}
    assert retries["CertificationConflictError"] > 0, "no racing unit lost certification: no race was run"
