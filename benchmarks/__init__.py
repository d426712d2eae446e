"""The datalayer benchmark suite: ``python -m benchmarks [--quick] [--url URL ...] [--out docs/]``.

Every workload runs side by side, in one process, on the same tables, for each
contender: datalayer (session helpers and repositories), hand-written SQLAlchemy
ORM, the raw DBAPI driver, sqla-wrapper and advanced-alchemy. Results are
ratios to the hand-written ORM measured in the same run (the median of paired
repetitions), plus statements sent per operation; absolute times are only
comparable within one run. The per-operation workloads run a second time on
asyncio drivers, as a group of their own: datalayer's async API and
advanced-alchemy's async repositories, as ratios to hand-written async ORM. Read views run as ratios
to the raw driver (:mod:`benchmarks.views`), and read-only units on a Database with a replica as ratios
to one without, with the read-your-writes wait (:mod:`benchmarks.routing`).
``python -m benchmarks --report-only --out docs/`` redraws the results page and its charts from the
results saved by an earlier run, without running anything; ``--only async`` measures the async group
alone and merges it into the saved results.
"""

from __future__ import annotations

__all__ = ["ASYNC_BASELINE", "ASYNC_CONTENDERS", "BASELINE", "CONTENDERS"]

BASELINE = "sqlalchemy-orm"
"""The contender every ratio is relative to."""

CONTENDERS = (
    "datalayer-session",
    "datalayer-repo",
    "sqlalchemy-orm",
    "raw-dbapi",
    "sqla-wrapper",
    "advanced-alchemy",
)
"""Every contender, in report order."""

ASYNC_BASELINE = "sqlalchemy-async-orm"
"""The contender every ratio of the async group is relative to."""

ASYNC_CONTENDERS = (
    "datalayer-async-session",
    "datalayer-async-repo",
    "sqlalchemy-async-orm",
    "advanced-alchemy-async",
)
"""Every contender of the async group (the per-operation workloads on asyncio drivers), in report order."""
