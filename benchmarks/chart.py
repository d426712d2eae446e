"""The results chart: per database, each workload's ratios to hand-written ORM (log scale)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import BASELINE, CONTENDERS

__all__ = ["draw"]

_COLOURS: dict[str, str] = dict(
    zip(CONTENDERS, ("#1f6fb4", "#5fa8e8", "#888888", "#2e9e4f", "#e08a1e", "#b0417a"), strict=True)
)


def draw(results: list[dict[str, Any]], path: Path) -> str | None:
    """Write the PNG; return None, or why it could not be drawn (matplotlib not installed)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Rectangle
    except ImportError:
        return "matplotlib is not installed: no chart (pip install matplotlib)"
    height = max(4.0, 0.42 * max(len(r["workloads"]) for r in results) * 2.6)
    figure: Any
    figure, axes = plt.subplots(1, len(results), figsize=(6.5 * len(results), height), squeeze=False)
    for axis, result in zip(axes[0], results, strict=True):
        _panel(axis, result)
    names = [name for name in _COLOURS if name != BASELINE] + [BASELINE]
    handles = [Rectangle((0, 0), 1, 1, color=_COLOURS[name]) for name in names]
    labels = [*names[:-1], "sqlalchemy, other forms (ORM bulk INSERT, Core, keyset)"]
    figure.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False)
    figure.suptitle(f"Throughput relative to hand-written SQLAlchemy ORM (= 1, {results[0]['mode']} mode)")
    figure.tight_layout(rect=(0, 0.04, 1, 0.97))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return None


def _panel(axis: Any, result: dict[str, Any]) -> None:
    labels: list[str] = []
    ticks: list[float] = []
    position = 0.0
    for workload in result["workloads"]:
        bars = [
            outcome
            for outcome in workload["outcomes"]
            if outcome.get("ratio") is not None and outcome["contender"].split(" ")[0] in _COLOURS
            and outcome["contender"] != workload["baseline"]
        ]  # fmt: skip
        for offset, outcome in enumerate(bars):
            name = outcome["contender"].split(" ")[0]
            hatch = "//" if "(keyset)" in outcome["contender"] else None
            axis.barh(
                position + offset * 0.16, outcome["ratio"], height=0.15, color=_COLOURS[name], hatch=hatch
            )
        labels.append(workload["title"])
        ticks.append(position + max(len(bars) - 1, 0) * 0.08)
        position += 1.0
    axis.set_yticks(ticks, labels, fontsize=8)
    axis.invert_yaxis()
    axis.set_xscale("log")
    axis.axvline(1.0, color="black", linewidth=0.8)
    axis.set_title(f"{result['database']} {result['server_version']}", fontsize=10)
    axis.set_xlabel("x hand-written ORM (log); hatched: keyset pagination", fontsize=8)
