"""Under a group's tables, why a contender was not measured; after them, the targets judged.

The targets' table: Workload | Contender | Target | Measured | Met, a row per check.
"""

from __future__ import annotations

from typing import Any

from .tables import name, table

__all__ = ["not_measured", "targets_table"]

Workload = dict[str, Any]
_MET = {True: "met", False: "**not met**", None: "n/a"}


def _and(titles: list[str]) -> str:
    return titles[0] if len(titles) == 1 else f"{', '.join(titles[:-1])} and {titles[-1]}"


def not_measured(workloads: list[Workload]) -> str | None:
    """Why a contender has no figures, once per contender and reason, with the workloads it applies to."""
    reasons: dict[tuple[str, str], list[str]] = {}
    for workload in workloads:
        for outcome in workload["outcomes"]:
            if outcome["status"] != "ok":
                status = "" if outcome["status"] == "n/a" else f"{outcome['status']}: "
                reason = f"{status}{outcome['reason']}"
                reasons.setdefault((outcome["contender"], reason), []).append(workload["title"])
    if not reasons:
        return None
    items = [f"- {name}, in {_and(titles)}: {reason}." for (name, reason), titles in reasons.items()]
    return "Not measured (n/a):\n\n" + "\n".join(items)


def targets_table(result: dict[str, Any]) -> str | None:
    """Each check of each target judged, with its value and verdict; None when nothing was judged."""
    rows: list[list[str]] = []
    counts = dict.fromkeys(_MET, 0)
    for workload in result["workloads"]:
        title = workload["title"]
        for outcome in workload["outcomes"]:
            contender = name(outcome["contender"])
            for check in (outcome.get("target") or {}).get("checks", []):
                value, met = check["value"], check["met"]
                measured = f"{value:.3g}" if value is not None else "n/a"
                rows.append([title, contender, check["rule"], measured, _MET[met]])
                counts[met] += 1
                title = contender = ""  # each named once, on its first row
    if not rows:
        return None
    head, align = ["Workload", "Contender", "Target", "Measured", "Met"], ["---", "---", "---", "---:", "---"]
    summary = f"Checks: {counts[True]} met, {counts[False]} not met, {counts[None]} n/a (not measurable yet)."
    return f"{summary}\n\n{table(head, align, rows)}"
