"""The datalayer benchmark suite: ``python -m benchmarks [--quick] [--url URL ...] [--out docs/]``.

Every workload runs side by side, in one process, on the same tables, for each
contender: datalayer (session helpers and repositories), hand-written SQLAlchemy
ORM, the raw DBAPI driver, sqla-wrapper and advanced-alchemy. Results are
ratios to the hand-written ORM measured in the same run (the median of paired
repetitions), plus statements sent per operation; absolute times are only
comparable within one run. ``python -m benchmarks --report-only --out docs/`` redraws the results
page and its charts from the results saved by an earlier run, without running anything.
"""

from __future__ import annotations

__all__ = ["BASELINE", "CONTENDERS"]

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
