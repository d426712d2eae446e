"""Soak: 16 threads running mixed units of work on PostgreSQL for a bounded time.

Each thread runs, at random (seeded per thread): a unit that writes a user and
their orders; a unit through ``run()`` that takes two shared users in random
order under a short lock timeout (so lock timeouts happen and are retried);
a unit that writes and then raises (rolled back); a read-only unit; a unit
whose ``create_or_first`` hits a shared tag while it also writes a user. Every
thread counts what its committed units wrote; at the end the tables must hold
exactly that, no connection may be checked out, and the process must not have
grown by more than a generous slack since the warm-up.

``DATALAYER_SOAK_SECONDS`` sets the duration (default 20, at most 600). Run it
alone: ``pytest -m soak``.
"""

from __future__ import annotations

import gc
import os
import random
import resource
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from datalayer import UnitOfWork, run
from datalayer.errors import RetryableError
from tests.conftest import Env, EnvFactory

THREADS = 16
SHARED_USERS = 6
SHARED_TAGS = 12
MAX_RSS_GROWTH = 50 * 1024 * 1024


def soak_seconds() -> float:
    return min(max(float(os.environ.get("DATALAYER_SOAK_SECONDS", "20")), 1.0), 600.0)


def rss_bytes() -> int:
    """The resident set size of this process now (from /proc; the peak where /proc is missing)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Deliberate(Exception):
    """Raised inside a unit to roll it back."""


@dataclass
class Tally:
    """What one thread's units did, and what its committed units wrote."""

    units: int = 0
    commits: int = 0
    rollbacks: int = 0
    read_only: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    users: int = 0
    orders: int = 0
    shared_users: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)
    errors: list[BaseException] = field(default_factory=list)


class Worker:
    def __init__(self, env: Env, number: int, deadline: float) -> None:
        self.env, self.models, self.number, self.deadline = env, env.models, number, deadline
        self.rng = random.Random(f"soak-{number}")
        self.tally = Tally()
        self.serial = 0

    def email(self) -> str:
        self.serial += 1
        return f"w{self.number}-{self.serial}@x.org"

    def unit(self) -> UnitOfWork:
        return UnitOfWork(self.env.db)

    def count_retry(self, _attempt: int, error: RetryableError, _delay: float) -> None:
        self.tally.retries[type(error).__name__] += 1

    def order(self) -> bool:
        items = self.rng.randint(1, 3)
        with self.unit() as uow:
            user = uow.session.create(self.models.User, email=self.email())
            for n in range(items):
                uow.session.create(self.models.Order, user_id=user.id, item=f"item-{n}")
        self.tally.users += 1
        self.tally.orders += items
        return True

    def shared(self) -> bool:
        keys = self.rng.sample([f"shared-{k}@x.org" for k in range(SHARED_USERS)], 2)

        def work(uow: UnitOfWork) -> None:
            uow.session.execute(text("SET LOCAL lock_timeout = '50ms'"))
            for key in keys:  # random order: some units wait on each other and time out
                user = uow.session.first_or_create(self.models.User, email=key)
                User = self.models.User
                uow.session.execute(update(User).where(User.id == user.id).values(name=key))

        run(self.unit, work, attempts=50, backoff=0.005, max_backoff=0.1, on_retry=self.count_retry)
        self.tally.shared_users.update(keys)
        return True

    def rollback(self) -> bool:
        try:
            with self.unit() as uow:
                user = uow.session.create(self.models.User, email=self.email())
                uow.session.create(self.models.Order, user_id=user.id, item="never")
                uow.session.first_or_create(self.models.Tag, label=f"rolled-back-{self.number}")
                raise Deliberate
        except Deliberate:
            self.tally.rollbacks += 1
        return False

    def read(self) -> bool:
        with UnitOfWork(self.env.db, read_only=True) as uow:
            uow.session.execute(select(func.count()).select_from(self.models.Order)).scalar_one()
            uow.session.first(self.models.User, email=f"shared-{self.rng.randrange(SHARED_USERS)}@x.org")
        self.tally.read_only += 1
        return False

    def tag(self) -> bool:
        label = f"tag-{self.rng.randrange(SHARED_TAGS)}"

        def work(uow: UnitOfWork) -> None:
            uow.session.create(self.models.User, email=self.email())
            tag = uow.session.create_or_first(self.models.Tag, label=label)  # often exists: the user stays
            assert tag.label == label

        run(self.unit, work, attempts=50, backoff=0.005, max_backoff=0.1, on_retry=self.count_retry)
        self.tally.users += 1
        self.tally.tags.add(label)
        return True

    def loop(self) -> None:
        operations: list[tuple[Callable[[], bool], int]] = [
            (self.order, 30),
            (self.shared, 20),
            (self.rollback, 15),
            (self.read, 20),
            (self.tag, 15),
        ]
        choices, weights = zip(*operations, strict=True)
        while time.monotonic() < self.deadline:
            operation = self.rng.choices(choices, weights)[0]
            try:
                committed = operation()
            except BaseException as error:  # asserted on by the test
                self.tally.errors.append(error)
                return
            self.tally.units += 1
            self.tally.commits += committed


def count_rows(env: Env, model: Any) -> int:
    with env.db.Session() as dbs:
        return int(dbs.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.mark.soak
@pytest.mark.only("postgresql")
def test_sixteen_threads_of_mixed_units_lose_no_row_leak_no_connection_and_keep_memory_flat(
    server_env: Env, make_server_env: EnvFactory, request: pytest.FixtureRequest
) -> None:
    if "/" in request.node.callspec.params["server_env"]:
        pytest.skip("one soak per server: it runs on the default create_or_first path")
    env = make_server_env(pool_size=8, max_overflow=4, pool_timeout=60)  # 12 connections for 16 threads
    seconds = soak_seconds()
    started = time.monotonic()
    workers = [Worker(env, number, started + seconds) for number in range(THREADS)]
    threads = [threading.Thread(target=worker.loop, name=f"soak-{worker.number}") for worker in workers]
    for thread in threads:
        thread.start()
    time.sleep(min(5.0, seconds / 4))  # warm-up: pools, caches and imports are in place
    gc.collect()
    rss_before = rss_bytes()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    assert not any(thread.is_alive() for thread in threads), "a soak thread is stuck"
    elapsed = time.monotonic() - started
    gc.collect()
    rss_after = rss_bytes()

    tallies = [worker.tally for worker in workers]
    errors = [error for tally in tallies for error in tally.errors]
    assert errors == [], errors[:3]
    shared_users = set().union(*(tally.shared_users for tally in tallies))
    tags = set().union(*(tally.tags for tally in tallies))
    expected = {
        "users": sum(tally.users for tally in tallies) + len(shared_users),
        "orders": sum(tally.orders for tally in tallies),
        "tags": len(tags),
    }
    found = {
        "users": count_rows(env, env.models.User),
        "orders": count_rows(env, env.models.Order),
        "tags": count_rows(env, env.models.Tag),
    }
    units = sum(tally.units for tally in tallies)
    print(
        f"\nsoak: {THREADS} threads x {elapsed:.1f} s: {units} units, "
        f"{sum(tally.commits for tally in tallies)} commits, {sum(tally.rollbacks for tally in tallies)} "
        f"rollbacks, {sum(tally.read_only for tally in tallies)} read-only, "
        f"retries {dict(sum((tally.retries for tally in tallies), Counter[str]()))}; "
        f"rows expected {expected}, found {found}, "
        f"lost {sum(max(0, expected[k] - found[k]) for k in expected)}; RSS {rss_before / 2**20:.1f} MB "
        f"after warm-up, {rss_after / 2**20:.1f} MB at the end"
    )
    assert found == expected
    assert env.db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert units >= THREADS * 10, "the soak ran too few units to mean anything"
    assert sum(tally.rollbacks for tally in tallies) > 0 and sum(tally.read_only for tally in tallies) > 0
    assert rss_after - rss_before < MAX_RSS_GROWTH, f"RSS grew {(rss_after - rss_before) / 2**20:.1f} MB"
