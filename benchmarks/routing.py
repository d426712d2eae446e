"""Read replicas (issue 16): what routing costs a read-only unit, and the read-your-writes wait.

On PostgreSQL and MariaDB whose replica is up (``scripts/cluster.sh up``: the target's URL on port 5433
/ 3307, where the run's database replicates); elsewhere both workloads are n/a, with the reason.
``routing_units``: a read-only unit, one lookup by primary key, exit, on a Database with the replica
against the same without (the baseline). ``routing_ryw``: pairs of a unit that writes and commits and a
read-only unit that reads the row back; the wait is the time the read-only unit's routing takes (where
the primary stands, then the replica's replay of it), reported as median and p99 in milliseconds.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, func, make_url, select

from datalayer import Database
from datalayer._replicas import router_of

from .contenders import Contender, NotAvailable
from .contenders.base import ITEM, Ids, found_id
from .contenders.dl_common import BenchUnit
from .measure import Case, Outcome, run_cases
from .schema import BenchBase, BenchOrder, BenchUser
from .workloads import Result, Sizes

__all__ = ["BASELINE_ROUTING", "REPLICA_PORTS", "ROUTED", "run_routing"]

REPLICA_PORTS = {"postgresql": 5433, "mysql": 3307}  # by SQLAlchemy dialect name (MariaDB is "mysql")
ROUTED = "datalayer-repo (replicas)"
BASELINE_ROUTING = "datalayer-repo (no replicas)"


class _Units(Contender):
    """Read-only units of work of a Database of their own, with the replica or without."""

    def __init__(self, url: str, replica: str | None) -> None:
        self.db = Database(url, model_class=BenchBase, replicas=[replica] if replica else [])

    def engines(self) -> list[Engine]:
        return self.db.engines

    def close(self) -> None:
        self.db.dispose()

    def get(self, ids: Ids) -> None:
        for ident in ids:
            with BenchUnit(self.db, read_only=True) as uow:
                found_id(uow.users.get(ident), ident)


def _users(url: str, **options: Any) -> int | None:
    engine = create_engine(url, **options)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(BenchUser))
    finally:
        engine.dispose()


def replica_of(url: str) -> str:
    """The replica's URL, once it holds the primary's users; else :class:`NotAvailable` says why."""
    parsed = make_url(url)
    port = REPLICA_PORTS.get(create_engine(parsed).dialect.name)
    if port is None:
        raise NotAvailable(f"{parsed.get_backend_name()} has no replicas (replicas= is refused)")
    replica, users = parsed.set(port=port).render_as_string(hide_password=False), _users(url)
    deadline, problem = time.monotonic() + 15, "it does not hold the primary's users"
    while time.monotonic() < deadline:
        try:
            if _users(replica, connect_args={"connect_timeout": 2}) == users:
                return replica
        except Exception as exc:  # not up, or the run's database not replayed yet: the reason to give
            problem = f"{type(exc).__name__}"
        time.sleep(0.2)
    raise NotAvailable(f"no replica on port {port} ({problem}): scripts/cluster.sh up starts one")


def _units(contender: Contender, sizes: Sizes) -> Callable[[int], int]:
    def run(rep: int) -> int:
        contender.get([n + 1 for n in random.Random(f"routing/{rep}").sample(range(sizes.users), sizes.ops)])
        return sizes.ops

    return run


def _pairs(url: str, replica: str, count: int) -> Outcome:
    """``count`` write-then-read pairs; the wait of each read-only unit's routing, and where it ran."""
    outcome, waits, engines = Outcome(ROUTED), list[float](), list[Engine]()
    db = Database(url, model_class=BenchBase, replicas=[replica])
    router = router_of(db.engine)
    assert router is not None
    route = router.read_engine

    def timed(token: str | None = None) -> Engine:
        start = time.perf_counter()
        engines.append(route(token))
        waits.append((time.perf_counter() - start) * 1000)
        return engines[-1]

    setattr(router, "read_engine", timed)  # noqa: B010  (instrumented for the measurement only)
    try:
        start = time.perf_counter()
        for _ in range(count):
            with BenchUnit(db) as uow:
                order = uow.orders.create(user_id=1, item=ITEM)
            with BenchUnit(db, read_only=True) as uow:
                if uow.session.get(BenchOrder, order.id) is None:
                    raise AssertionError(f"the read-only unit missed order {order.id}, written just before")
        outcome.per_second = count / (time.perf_counter() - start)
    finally:
        db.dispose()
    on_replica = sum(engine is not db.engine for engine in engines)
    outcome.extra = {
        "wait_median_ms": statistics.median(waits),
        "wait_p99_ms": statistics.quantiles(waits, n=100, method="inclusive")[98],
        "on_replica": f"{on_replica}/{len(engines)}",
    }
    return outcome


def run_routing(url: str, sizes: Sizes) -> list[Result]:
    """Both routing workloads; n/a everywhere, with the reason, when the replica is not there."""
    units = [Outcome(ROUTED), Outcome(BASELINE_ROUTING)]
    pairs = Outcome(ROUTED)
    count = max(100, 2 * sizes.ops)
    try:
        replica = replica_of(url)
    except NotAvailable as exc:
        for outcome in (*units, pairs):
            outcome.fail(exc)
    else:
        contenders = {ROUTED: _Units(url, replica), BASELINE_ROUTING: _Units(url, None)}
        try:
            cases = [
                Case(name, contender, _units(contender, sizes)) for name, contender in contenders.items()
            ]
            run_cases(cases, sizes.reps, baseline=BASELINE_ROUTING, quiet_warmup=sizes.settle)
            units = [case.outcome for case in cases]
        finally:
            for contender in contenders.values():
                contender.close()
        try:
            pairs = _pairs(url, replica, count)
        except Exception as exc:
            pairs.fail(exc)
    definition = (
        "a read-only unit, one lookup by primary key, exit; a Database with the replica against one without"
    )
    return [
        Result("routing_units", "Replicas: read-only units", "units/s", definition, BASELINE_ROUTING, units),
        Result("routing_ryw", "Replicas: read your writes", "pairs/s",
               f"{count} pairs: a unit creates an order and commits, a read-only unit reads it back; "
               "wait = the read-only unit's routing (the primary's position, the replica's replay)",
               None, [pairs]),
    ]  # fmt: skip
