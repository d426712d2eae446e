"""One database's result as Markdown tables narrow enough for the documentation's content column.

Workloads come in groups (single operations, async, bulk create, iteration, paging); each has a table:
Contender | Rate (unit) | x ORM (IQR) (or x async ORM) | Statements/op | Detail, the last two only where
a contender has one (why a contender was not measured, and the targets: :mod:`benchmarks.notes`).
"""

from __future__ import annotations

from typing import Any

from . import ASYNC_BASELINE
from .routing import BASELINE_ROUTING
from .views import BASELINE_VIEWS

__all__ = ["ASYNC_GROUP", "groups", "name", "results_table", "table"]

Workload = dict[str, Any]
Outcome = dict[str, Any]

_DETAILS = (  # an outcome's extra figures, one a line in the Detail column
    ("x_per_row", "{:.1f}x per-row create"),
    ("x_core", "{:.2f}x Core executemany"),
    ("peak_mb", "peak +{:,.0f} MB"),
    ("far_over_first", "{:.2f}x page-1 time"),
    ("wait_median_ms", "wait {:.1f} ms median"),
    ("wait_p99_ms", "wait {:.1f} ms p99"),
    ("on_replica", "{} on the replica"),
)
_VERSUS = {ASYNC_BASELINE: "x async ORM", BASELINE_VIEWS: "x raw DBAPI", BASELINE_ROUTING: "x no replicas"}
ASYNC_GROUP = "Async (asyncio drivers)"
_GROUPS = (("async_", ASYNC_GROUP), ("bulk_", "Bulk create"), ("iterate_", "Iterating over every row"),
           ("page_", "Paging"), ("views_", "Read views"), ("routing_", "Read replicas"))  # fmt: skip


def _group(workload: Workload) -> str:
    found = (title for prefix, title in _GROUPS if workload["key"].startswith(prefix))
    return next(found, "Single operations")


def groups(result: dict[str, Any]) -> list[tuple[str, list[Workload]]]:
    """The result's workloads by group, each group where its first workload is."""
    found: dict[str, list[Workload]] = {}
    for workload in result["workloads"]:
        found.setdefault(_group(workload), []).append(workload)
    return list(found.items())


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(head: list[str], align: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    return "\n".join([*lines, *("| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows)])


def name(contender: str) -> str:
    """A contender's name, kept whole on a line: ``datalayer-session`` with a non-breaking hyphen."""
    return contender.replace("-", "\u2011")


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def _rate(outcome: Outcome) -> str:
    rate = outcome.get("per_second")
    return _number(rate) if rate is not None else "n/a"


def _ratio(outcome: Outcome) -> str:
    """``0.79 (0.78-0.79)``; the range never breaks across lines (a non-breaking hyphen)."""
    ratio, spread = outcome.get("ratio"), outcome.get("spread")
    if ratio is None:
        return ""
    return _number(ratio) + (f" ({_number(spread[0])}\u2011{_number(spread[1])})" if spread else "")


def _statements(workload: Workload, outcome: Outcome) -> str:
    per_op = outcome.get("statements_per_op")
    if per_op is None:
        return ""
    if workload["unit"] == "rows/s":
        rows = outcome["extra"].get("rows", 1)
        return f"{per_op * rows:,.0f} per {rows:,}\u00a0rows"
    return f"{per_op:.2f}"


def _detail(outcome: Outcome) -> str:
    """The outcome's extra figures, each on a line of its own that does not break."""
    extra = outcome.get("extra") or {}
    lines = [template.format(extra[key]) for key, template in _DETAILS if extra.get(key) is not None]
    return "<br>".join(line.replace(" ", "\u00a0").replace("-", "\u2011") for line in lines)


def _figures(workload: Workload, outcome: Outcome) -> list[str]:
    return [_statements(workload, outcome), _detail(outcome)]


def _versus(baseline: str | None) -> str:
    """The ratio column's name: ``x ORM``, ``x async ORM``, ``x raw DBAPI`` or ``x no replicas``."""
    return _VERSUS.get(baseline or "", "x ORM")


def results_table(workload: Workload) -> str:
    """Every contender of one workload: Contender | Rate (unit) | x ORM (IQR) | Statements/op | Detail.

    Statements/op and Detail are left out when no contender has one; the ratio when there is no baseline.
    """
    versus = f"{_versus(workload['baseline'])} (IQR)"
    head = ["Contender", f"Rate ({workload['unit']})", versus, "Statements/op", "Detail"]
    rows = [
        [name(outcome["contender"]), _rate(outcome), _ratio(outcome), *_figures(workload, outcome)]
        for outcome in workload["outcomes"]
    ]
    ratio = workload["baseline"] is not None
    keep = [
        column < 2 or (column == 2 and ratio) or any(row[column] for row in rows)
        for column in range(len(head))
    ]
    return table(
        [cell for cell, kept in zip(head, keep, strict=True) if kept],
        [align for align, kept in zip(["---", "---:", "---:", "---:", "---"], keep, strict=True) if kept],
        [[cell for cell, kept in zip(row, keep, strict=True) if kept] for row in rows],
    )
