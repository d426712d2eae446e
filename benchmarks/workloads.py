"""The workloads, their sizes in quick and full mode, and the per-operation ones' runner."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from . import ASYNC_BASELINE, BASELINE
from .contenders import Contender
from .measure import Case, Outcome, run_cases
from .schema import user_email

__all__ = [
    "ASYNC_OP_WORKLOADS",
    "FULL",
    "OP_WORKLOADS",
    "QUICK",
    "Result",
    "Sizes",
    "Workload",
    "run_async_op_workloads",
    "run_op_workloads",
]


@dataclass(frozen=True)
class Sizes:
    users: int  # seeded users, the "existing rows"
    ops: int  # operations per measured unit (one transaction, or one per web request)
    reps: int  # paired repetitions
    bulk: tuple[int, ...]  # rows per bulk create
    bulk_reps: int
    per_row_cap: int  # rows created one by one, for the bulk comparison
    items: int  # rows of the large table (iterated over, paginated)
    iterate_reps: int
    page_size: int
    far_page: int
    page_fetches: int  # fetches per measured unit
    settle: bool  # a second, uncounted warm-up before the timed rounds


QUICK = Sizes(
    users=500, ops=20, reps=3, bulk=(1_000,), bulk_reps=2, per_row_cap=300, items=20_000,
    iterate_reps=1, page_size=20, far_page=1_000, page_fetches=10, settle=False,
)  # fmt: skip
# Full mode runs in under ten minutes for the three databases on a 2-core machine: medians of 9 paired
# rounds of 200 operations hold steady to a few percent, and 200,000 rows show a list's memory against a
# stream's as clearly as a million did, at a fifth of the time.
FULL = Sizes(
    users=10_000, ops=200, reps=9, bulk=(10_000, 50_000), bulk_reps=2, per_row_cap=3_000,
    items=200_000, iterate_reps=2, page_size=20, far_page=1_000, page_fetches=60, settle=True,
)  # fmt: skip


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    method: str  # the Contender method
    existing: bool  # keys of seeded rows, or keys no row has
    definition: str


_BATCH = "one transaction per measured unit, a flush per operation, committed at the end"
OP_WORKLOADS = (
    Workload("lookup", "Look up by a unique column", "lookup", True, f"user by email; {_BATCH}"),
    Workload("create", "Create one row at a time", "create", False, f"insert a user; {_BATCH}"),
    Workload(
        "first_or_create_existing", "first_or_create, existing rows", "first_or_create", True,
        f"get-or-create a user that exists; {_BATCH}",
    ),
    Workload(
        "create_or_first_new", "create_or_first, new keys", "create_or_first", False,
        f"create-or-get a user that does not exist yet; {_BATCH}",
    ),
    Workload(
        "create_or_first_existing", "create_or_first, existing keys", "create_or_first", True,
        f"create-or-get a user that exists (the insert conflicts); {_BATCH}",
    ),
    Workload(
        "upsert", "Upsert, existing keys", "upsert", True,
        f"insert-or-update a user that exists, with a new name each time; {_BATCH}",
    ),
    Workload(
        "web_request", "Web request", "web_request", True,
        "open a unit of work, first_or_create an existing user, add an order, commit: one transaction per op",
    ),
)  # fmt: skip
ASYNC_OP_WORKLOADS = tuple(
    Workload(f"async_{w.key}", f"Async: {w.title[0].lower()}{w.title[1:]}", w.method, w.existing,
             f"{w.definition}; on the asyncio driver, each contender on an event loop of its own")
    for w in OP_WORKLOADS
)  # fmt: skip
"""The per-operation workloads again, on asyncio drivers: the async contenders' group."""


@dataclass
class Result:
    """One workload on one database: every contender's outcome."""

    key: str
    title: str
    unit: str
    definition: str
    baseline: str | None
    outcomes: list[Outcome] = field(default_factory=list[Outcome])

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _keys(workload: Workload, label: str, sizes: Sizes, tag: str) -> Callable[[int], list[str]]:
    def keys(rep: int) -> list[str]:
        if workload.existing:  # the same rows for every contender within a repetition
            numbers = random.Random(f"{workload.key}/{rep}").sample(range(sizes.users), sizes.ops)
            return [user_email(n) for n in numbers]
        return [f"{workload.key}.{label}.{rep}.{i}.{tag}@example.com" for i in range(sizes.ops)]

    return keys


def _unit(contender: Contender, workload: Workload, keys: Callable[[int], list[str]]) -> Callable[[int], int]:
    method: Callable[[list[str]], None] = getattr(contender, workload.method)

    def run(rep: int) -> int:
        chosen = keys(rep)  # microseconds, against milliseconds of database work
        method(chosen)
        return len(chosen)

    return run


def run_op_workloads(
    contenders: dict[str, Contender],
    sizes: Sizes,
    tag: str,
    workloads: tuple[Workload, ...] = OP_WORKLOADS,
    baseline: str = BASELINE,
) -> list[Result]:
    results: list[Result] = []
    for workload in workloads:
        cases = [
            Case(label, contender, _unit(contender, workload, _keys(workload, label, sizes, tag)))
            for label, contender in contenders.items()
        ]
        run_cases(cases, sizes.reps, baseline=baseline, quiet_warmup=sizes.settle)
        outcomes = [case.outcome for case in cases]
        results.append(Result(workload.key, workload.title, "ops/s", workload.definition, baseline, outcomes))
    return results


def run_async_op_workloads(contenders: dict[str, Contender], sizes: Sizes, tag: str) -> list[Result]:
    """The async group: the per-operation workloads on the async contenders, against the async ORM."""
    return run_op_workloads(contenders, sizes, tag, ASYNC_OP_WORKLOADS, ASYNC_BASELINE)
