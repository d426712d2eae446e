"""One database's chart: each workload's ratios (log scale), one PNG per database.

Two panels: the sync workloads as ratios to hand-written ORM, and the async group as ratios to
hand-written async ORM, each with its own axis (the read views and replicas, measured against other
baselines, are in the tables only). Sized for the documentation's content column (670-750
CSS px on a desktop window): 7 inches wide at 110 dpi (770 px), so the theme shows it at 87% of its size
or more, and no text is smaller than 9 pt.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from . import ASYNC_BASELINE, BASELINE, CONTENDERS
from .workloads import OP_WORKLOADS

__all__ = ["DPI", "WIDTH", "draw"]

WIDTH = 7.0  # inches
DPI = 110
_COLOURS: dict[str, str] = dict(
    zip(CONTENDERS, ("#1f6fb4", "#5fa8e8", "#888888", "#2e9e4f", "#e08a1e", "#b0417a"), strict=True)
)
_TWINS = {  # each async contender in the colour of its sync twin, named with it in the legend
    "datalayer-async-session": "datalayer-session",
    "datalayer-async-repo": "datalayer-repo",
    "advanced-alchemy-async": "advanced-alchemy",
}
_COLOURS.update({name: _COLOURS[twin] for name, twin in _TWINS.items()})
_TITLES = {f"async_{workload.key}": workload.title for workload in OP_WORKLOADS}  # the panel says "async"
_OFF_CHART = (
    "views_",
    "routing_",
)  # ratios to the raw driver, and to a Database without replicas: tables only
_TICKS = (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200)
_BAR = 0.078  # bar height, in inches
_ROW = {False: 0.56, True: 0.40}  # a workload's height, in inches: sync (up to 6 bars), async (3)
_FONTS = {
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.labelsize": 10,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9.5,
    "hatch.linewidth": 0.8,
}


def _bars(workload: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        outcome
        for outcome in workload["outcomes"]
        if outcome.get("ratio") is not None and outcome["contender"].split(" ")[0] in _COLOURS
        and outcome["contender"] != workload["baseline"]
    ]  # fmt: skip


def draw(result: dict[str, Any], path: Path) -> str | None:
    """Write ``result``'s chart to ``path``; return None, or why it could not be drawn."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed: no chart (pip install matplotlib)"
    panels = [
        (is_async, group)
        for is_async in (False, True)
        if (
            group := [
                w
                for w in result["workloads"]
                if (w["baseline"] == ASYNC_BASELINE) == is_async and not w["key"].startswith(_OFF_CHART)
            ]
        )
    ]
    heights = [_ROW[is_async] * len(group) for is_async, group in panels]
    with plt.rc_context(_FONTS):
        size = (WIDTH, 1.3 + sum(heights) + 0.6 * len(panels))
        figure: Any = plt.figure(figsize=size, dpi=DPI, layout="constrained")
        axes = figure.subplots(len(panels), 1, squeeze=False, height_ratios=heights)[:, 0]
        for axis, (is_async, group) in zip(axes, panels, strict=True):
            for position, workload in enumerate(group):
                _workload(axis, position, workload, _BAR / _ROW[is_async])
            ratios = [outcome["ratio"] for workload in group for outcome in _bars(workload)]
            _axes(axis, group, [*ratios, 1.0], is_async, result.get("async") or {})
        _legend(figure)
        title = f"{result['database']} {result['server_version']}: throughput relative to hand-written ORM"
        figure.suptitle(f"{title} ({result['mode']} mode)")
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=DPI)
        plt.close(figure)
    return None


def _workload(axis: Any, position: int, workload: dict[str, Any], bar: float) -> None:
    bars = _bars(workload)
    if position % 2:
        axis.axhspan(position - 0.5, position + 0.5, color="#f3f3f3", zorder=0)
    first = position - (len(bars) - 1) * bar / 2
    for offset, outcome in enumerate(bars):
        name = outcome["contender"].split(" ")[0]
        hatch = "///" if "(keyset)" in outcome["contender"] else None
        axis.barh(
            first + offset * bar,
            outcome["ratio"],
            height=bar * 0.92,
            color=_COLOURS[name],
            hatch=hatch,
            edgecolor="white" if hatch else None,
            linewidth=0,
            zorder=2,
        )


def _axes(
    axis: Any, workloads: list[dict[str, Any]], ratios: list[float], is_async: bool, record: dict[str, Any]
) -> None:
    labels = [textwrap.fill(_TITLES.get(workload["key"], workload["title"]), 22) for workload in workloads]
    axis.set_yticks(range(len(workloads)), labels)
    axis.set_ylim(len(workloads) - 0.5, -0.5)
    axis.tick_params(axis="y", length=0)
    axis.set_xscale("log")
    low, high = min(ratios) / 1.3, max(ratios) * 1.3
    ticks = [tick for tick in _TICKS if low <= tick <= high]
    axis.set_xlim(low, high)
    axis.set_xticks(ticks, [f"{tick:g}x" for tick in ticks])
    axis.minorticks_off()
    axis.grid(axis="x", color="#d8d8d8", linewidth=0.8, zorder=1)
    axis.axvline(1.0, color="black", linewidth=1.0, zorder=3)
    if is_async:
        on = f", on {record['driver']}" if record.get("driver") else ""
        axis.set_title(f"Async (asyncio drivers){on}", loc="left")
        axis.set_xlabel("x hand-written async SQLAlchemy ORM (log scale; 1x = as fast)")
    else:
        axis.set_xlabel("x hand-written SQLAlchemy ORM (log scale; 1x = as fast)")
    for side in ("top", "right"):
        axis.spines[side].set_visible(False)


def _legend(figure: Any) -> None:
    from matplotlib.patches import Patch

    twins = {twin: name for name, twin in _TWINS.items()}
    names = [*twins, *(name for name in CONTENDERS if name not in twins and name != BASELINE)]
    handles = [Patch(color=_COLOURS[name], label=f"{name}, {twins[name]}") for name in twins]
    handles.append(Patch(facecolor="#777777", edgecolor="white", hatch="///", label="keyset pagination"))
    handles += [Patch(color=_COLOURS[name], label=name) for name in names[len(twins) :]]
    handles.append(Patch(color=_COLOURS[BASELINE], label="sqlalchemy-orm bulk INSERT, keyset"))
    # two columns: the contenders with an async twin (the long names) and the keyset hatch, then the rest
    figure.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False, columnspacing=1.2)
