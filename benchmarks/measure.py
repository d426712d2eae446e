"""Paired, interleaved timing; statements counted per operation; medians and ratios."""

from __future__ import annotations

import gc
import statistics
import time
import traceback
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from .contenders import Contender, NotAvailable

__all__ = ["Case", "Outcome", "counting", "median", "paired", "run_cases"]


@dataclass
class Outcome:
    """One contender's result on one workload: a number, or n/a (or error) with the reason."""

    contender: str
    status: str = "ok"  # "ok", "n/a" or "error"
    reason: str | None = None
    per_second: float | None = None  # median over repetitions
    ratio: float | None = None  # median of the per-repetition ratios to the baseline
    spread: list[float] | None = None  # quartiles (25%, 75%) of those ratios: the run's noise
    statements_per_op: float | None = None
    samples: list[float] = field(default_factory=list[float])  # operations per second, one per repetition
    extra: dict[str, Any] = field(default_factory=dict[str, Any])
    target: dict[str, Any] | None = None

    def fail(self, exc: BaseException) -> None:
        if isinstance(exc, NotAvailable):
            self.status, self.reason = "n/a", str(exc)
        else:
            last = traceback.extract_tb(exc.__traceback__)[-1]
            self.status = "error"
            where = f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}"
            first_line = (str(exc).splitlines() or [""])[0][:300]  # SQLAlchemy errors go on with the SQL
            self.reason = f"{type(exc).__name__}: {first_line} ({where})"
        self.per_second = self.ratio = self.statements_per_op = self.spread = None
        self.samples = []

    def compare(self, base: Outcome) -> None:
        """Set ``ratio`` and ``spread`` against ``base`` (paired by repetition)."""
        if self.status == base.status == "ok":
            self.ratio, self.spread = paired(self.samples, base.samples)


@dataclass
class Case:
    """One measured unit: ``run(rep)`` does some operations and returns how many."""

    label: str
    contender: Contender
    run: Callable[[int], int]
    before: Callable[[], None] | None = None  # untimed set-up before every run
    outcome: Outcome = field(init=False)

    def __post_init__(self) -> None:
        self.outcome = Outcome(self.label)


@contextmanager
def counting(contender: Contender) -> Generator[list[int]]:
    """Count the statements sent in the block (SAVEPOINT, RELEASE and BEGIN included): ``[count]``."""
    counter = [0]
    before = contender.statements_sent()

    def record(*_args: Any) -> None:
        counter[0] += 1

    engines = contender.engines()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield counter
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
        counter[0] += contender.statements_sent() - before


def run_cases(cases: list[Case], reps: int, baseline: str | None, *, quiet_warmup: bool = True) -> None:
    """Two warm-ups (the first counts statements), then ``reps`` timed rounds, in a new order each round.

    Round ``r`` starts at a different contender and alternates direction, so a
    slow spell of the machine falls on all of them alike.
    """
    for case in cases:
        try:
            if case.before is not None:
                case.before()
            with counting(case.contender) as counter:
                ops = case.run(-1)
            case.outcome.statements_per_op = counter[0] / ops
            if quiet_warmup:  # a second, uncounted warm-up: caches and connection pools settle
                if case.before is not None:
                    case.before()
                case.run(-2)
        except Exception as exc:
            case.outcome.fail(exc)
    live = [case for case in cases if case.outcome.status == "ok"]
    gc.collect()
    gc.freeze()  # what lives now (libraries, contenders) stays out of later collections: they stay cheap
    for rep in range(reps):
        shift = rep % len(live) if live else 0
        order = live[shift:] + live[:shift]
        for case in order if rep % 2 == 0 else reversed(order):
            if case.outcome.status != "ok":
                continue
            try:
                if case.before is not None:
                    case.before()
                gc.collect()
                start = time.perf_counter()
                ops = case.run(rep)
                case.outcome.samples.append(ops / (time.perf_counter() - start))
            except Exception as exc:
                case.outcome.fail(exc)
    by_label = {case.label: case.outcome for case in cases}
    base = by_label.get(baseline) if baseline else None
    for case in cases:
        outcome = case.outcome
        if outcome.status != "ok" or not outcome.samples:
            continue
        outcome.per_second = median(outcome.samples)
        if base is not None:
            outcome.compare(base)


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def paired(mine: list[float], theirs: list[float]) -> tuple[float | None, list[float] | None]:
    """The median of ``mine[i] / theirs[i]``, and its quartiles (None for fewer than 2 pairs)."""
    if not mine or len(mine) != len(theirs):
        return None, None
    ratios = [a / b for a, b in zip(mine, theirs, strict=True)]
    if len(ratios) < 2:
        return median(ratios), None
    low, _, high = statistics.quantiles(ratios, n=4, method="inclusive")
    return median(ratios), [low, high]
