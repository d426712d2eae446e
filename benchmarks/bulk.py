"""Bulk create: N rows in one transaction, against per-row creates and Core ``executemany``.

The table is emptied (untimed) before every measurement. Per-row create runs on
at most ``per_row_cap`` rows and is compared in rows per second.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import create_engine

from . import BASELINE
from .contenders import Contender
from .contenders.base import Rows
from .measure import Case, Outcome, paired, run_cases
from .schema import empty_events, item_row

__all__ = ["COPY", "CORE", "LOAD", "PER_ROW", "RETURNING", "run_bulk"]

PER_ROW = "datalayer per-row create"
CORE = "sqlalchemy-core executemany"
ORM_BULK = "sqlalchemy-orm bulk INSERT"
RETURNING = "sqlalchemy-orm insertmanyvalues RETURNING"
LOAD = "datalayer-session returning=False"
COPY = "raw psycopg COPY"


def _call(method: Callable[[Rows], None], rows: Rows) -> Callable[[int], int]:
    def run(_rep: int) -> int:
        method(rows)
        return len(rows)

    return run


def run_bulk(
    url: str, contenders: dict[str, Contender], size: int, per_row_cap: int, reps: int
) -> list[Outcome]:
    rows = [item_row(i) for i in range(size)]
    orm = contenders[BASELINE]
    dl = contenders["datalayer-session"]
    cases = [
        Case(name, contender, _call(contender.bulk_create, rows)) for name, contender in contenders.items()
    ]
    cases.append(Case(ORM_BULK, orm, _call(getattr(orm, "orm_bulk_insert", orm.bulk_create), rows)))
    cases.append(Case(CORE, orm, _call(getattr(orm, "core_executemany", orm.bulk_create), rows)))
    cases.append(Case(PER_ROW, dl, _call(getattr(dl, "per_row_create", dl.bulk_create), rows[:per_row_cap])))
    cases.append(Case(RETURNING, orm, _call(getattr(orm, "orm_returning", orm.bulk_create), rows)))
    cases.append(Case(LOAD, dl, _call(getattr(dl, "bulk_load", dl.bulk_create), rows)))
    raw = contenders.get("raw-dbapi")
    if raw is not None and url.startswith("postgresql"):
        cases.append(Case(COPY, raw, _call(getattr(raw, "bulk_copy", raw.bulk_create), rows)))
    cleaner = create_engine(url)
    try:
        for case in cases:
            case.before = lambda: empty_events(cleaner)
        run_cases(cases, reps, baseline=BASELINE, quiet_warmup=False)
    finally:
        cleaner.dispose()
    by_label = {case.label: case.outcome for case in cases}
    for outcome in by_label.values():
        if outcome.statements_per_op == 0:  # COPY: psycopg sends it, SQLAlchemy's events never see it
            outcome.statements_per_op = None
        outcome.extra["rows"] = size if outcome.contender != PER_ROW else min(size, per_row_cap)
        references = {"x_per_row": PER_ROW, "x_core": CORE, "x_returning": RETURNING, "x_copy": COPY}
        for key, label in references.items():
            reference = by_label.get(label)
            if reference is not None and outcome.status == reference.status == "ok":
                ratio, spread = paired(outcome.samples, reference.samples)
                outcome.extra[key], outcome.extra[f"{key}_spread"] = ratio, spread
    return list(by_label.values())
