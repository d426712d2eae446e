"""The results page is generated from the saved results, and its layout loses nothing they hold.

``python -m benchmarks --report-only`` redraws the page and the charts from ``benchmarks/results``
without running a benchmark: what it writes must be the page in ``docs/``, byte for byte, and every
figure of every outcome (rate, ratio and its range, statements, details, why it is n/a, each target's
check, value and verdict) must be on the page, in its database's section, under its workload.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DOCS = ROOT / "docs"
DATABASES = sorted(path.stem for path in RESULTS.glob("*.json"))
CHART_WIDTH = 770  # px: 7 inches at 110 dpi, for a content column of 670-750 CSS px


def _report_only(results: Path, out: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "benchmarks", "--report-only", "--results", str(results)]
    command += ["--out", str(out)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header.startswith(b"\x89PNG\r\n\x1a\n"), f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_report_only_rewrites_the_committed_page_and_charts(tmp_path: Path) -> None:
    shutil.copytree(RESULTS, tmp_path / "results")
    done = _report_only(tmp_path / "results", tmp_path / "docs")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "docs" / "performance-results.md").read_text()
    committed = (DOCS / "performance-results.md").read_text()
    if importlib.util.find_spec("matplotlib") is None:
        assert "matplotlib is not installed" in done.stderr
        committed = "\n".join(line for line in committed.split("\n") if not line.startswith("![")).replace(
            "\n\n\n", "\n\n"
        )
    else:
        charts = sorted(path.name for path in (tmp_path / "docs" / "img").iterdir())
        assert charts == sorted(f"benchmarks-{database}.png" for database in DATABASES)
    assert page == committed, (
        "docs/performance-results.md is not what `python -m benchmarks --report-only --out docs/` writes "
        "from benchmarks/results: regenerate it, never edit it by hand"
    )
    assert json.loads((tmp_path / "results" / "sqlite.json").read_text()) == json.loads(
        (RESULTS / "sqlite.json").read_text()
    ), "--report-only must not touch the results"


def test_the_committed_charts_are_one_per_database_and_sized_for_the_column() -> None:
    images = sorted(path.name for path in (DOCS / "img").glob("benchmarks*.png"))
    assert images == sorted(f"benchmarks-{database}.png" for database in DATABASES)
    for database in DATABASES:
        width, height = _png_size(DOCS / "img" / f"benchmarks-{database}.png")
        assert width == CHART_WIDTH, f"{database}: {width}px wide"
        assert 500 <= height <= 1400, f"{database}: {height}px tall"  # two panels: sync, then async


def test_report_only_without_results_says_so(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    done = _report_only(tmp_path / "results", tmp_path / "docs")
    assert done.returncode == 2
    assert "nothing to report" in done.stderr
    assert not (tmp_path / "docs" / "performance-results.md").exists()


def test_report_only_needs_out() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--report-only"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--report-only" in done.stderr


# What the page showed before its tables were split up, cell by cell: the layout may change, this may not.


def _plain(text: str) -> str:
    return text.replace("\u2011", "-").replace("\u00a0", " ").replace("<br>", " ")


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def _expected_cells(workload: dict[str, Any], outcome: dict[str, Any]) -> list[str]:
    cells: list[str] = []
    if outcome.get("per_second") is not None:
        cells.append(_number(outcome["per_second"]))
    if outcome.get("ratio") is not None:
        low, high = outcome["spread"]
        cells.append(f"{_number(outcome['ratio'])} ({_number(low)}-{_number(high)})")
    per_op = outcome.get("statements_per_op")
    if per_op is not None and workload["unit"] == "rows/s":
        rows = outcome["extra"].get("rows", 1)
        cells.append(f"{per_op * rows:,.0f} per {rows:,} rows")
    elif per_op is not None:
        cells.append(f"{per_op:.2f}")
    extra = outcome.get("extra") or {}
    for key, template in (
        ("x_per_row", "{:.1f}x per-row create"),
        ("x_core", "{:.2f}x Core executemany"),
        ("peak_mb", "peak +{:,.0f} MB"),
        ("far_over_first", "{:.2f}x page-1 time"),
    ):
        if extra.get(key) is not None:
            cells.append(template.format(extra[key]))
    return cells


def _sections(page: str, marker: str) -> dict[str, str]:
    """The page cut at each heading that starts with ``marker``, by heading text."""
    parts = _plain(page).split("\n" + marker)
    return {part.split("\n", 1)[0].strip(): part for part in parts[1:]}


def _rows(table: str) -> list[list[str]]:
    lines = [line for line in table.split("\n") if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[1:]]


@pytest.mark.parametrize("database", DATABASES)
def test_nothing_is_lost(database: str) -> None:
    result = json.loads((RESULTS / f"{database}.json").read_text())
    page = (DOCS / "performance-results.md").read_text()
    section = _sections(page, "## ")[f"{result['database']} {result['server_version']}"]
    by_workload = _sections(section.split("\n### Targets")[0], "#### ")
    for workload in result["workloads"]:
        table = by_workload[workload["title"]].split("\n\n### ")[0]
        assert f"Rate ({workload['unit']})" in table, workload["title"]
        rows = {row[0]: row for row in _rows(table)}
        for outcome in workload["outcomes"]:
            where = f"{database} / {workload['title']} / {outcome['contender']}"
            row = rows[outcome["contender"]]
            text = " | ".join(row)
            for cell in _expected_cells(workload, outcome):
                assert cell in text, f"{where}: {cell!r} not in {text!r}"
            if outcome["status"] != "ok":
                assert row[1] == "n/a", where
                status = "" if outcome["status"] == "n/a" else f"{outcome['status']}: "
                said = f"{status}{outcome['reason']}."
                start = f"- {outcome['contender']}, "
                items = [line for line in section.split("\n") if line.startswith(start)]
                assert any(workload["title"] in item and item.endswith(said) for item in items), where
    targets = _rows(section.split("\n### Targets")[1]) if "\n### Targets" in section else []
    checks = [
        (workload["title"], outcome["contender"], check)
        for workload in result["workloads"]
        for outcome in workload["outcomes"]
        for check in (outcome.get("target") or {}).get("checks", [])
    ]
    assert len(targets) == len(checks)
    title = contender = ""
    for row, (workload_title, outcome_contender, check) in zip(targets, checks, strict=True):
        title, contender = row[0] or title, row[1] or contender
        value = f"{check['value']:.3g}" if check["value"] is not None else "n/a"
        met = {True: "met", False: "**not met**", None: "n/a"}[check["met"]]
        assert [title, contender, *row[2:]] == [workload_title, outcome_contender, check["rule"], value, met]
    assert result["mode"] in section and result["date"] in section
