"""The benchmark suite runs end to end in quick mode: every workload reports every contender.

Runs ``python -m benchmarks --quick`` once, on SQLite and on each server whose
test URL is set, and checks the shape of what it reports: a number, or an
explicit n/a with its reason; the async group's contenders measured, with ratios
to the async ORM. Quick mode judges no target, and no ratio's value is asserted
here: timings on a shared machine prove nothing about speed. ``--only async``
then measures the async group again on SQLite and merges it into those results.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks import ASYNC_BASELINE, ASYNC_CONTENDERS, CONTENDERS
from benchmarks.routing import BASELINE_ROUTING, ROUTED
from benchmarks.views import BASELINE_VIEWS, VIEW_CONTENDERS
from benchmarks.workloads import ASYNC_OP_WORKLOADS, OP_WORKLOADS, QUICK

ROOT = Path(__file__).resolve().parent.parent
URLS = [
    "sqlite://",
    *(
        os.environ[name]
        for name in ("DATALAYER_TEST_POSTGRESQL_URL", "DATALAYER_TEST_MARIADB_URL")
        if os.environ.get(name)
    ),
]
ASYNC_WORKLOADS = [workload.key for workload in ASYNC_OP_WORKLOADS]
WORKLOADS = [
    *(workload.key for workload in OP_WORKLOADS),
    *ASYNC_WORKLOADS,
    *(f"bulk_{size}" for size in QUICK.bulk),
    "iterate_list",
    "iterate_stream",
    "page_1",
    f"page_{QUICK.far_page}",
]
VIEW_WORKLOADS = ["views_get", "views_lookup", "views_page", "views_stream"]
ROUTING_WORKLOADS = {"routing_units": (ROUTED, BASELINE_ROUTING), "routing_ryw": (ROUTED,)}
EXPECTED = {
    **dict.fromkeys(WORKLOADS, CONTENDERS),
    **dict.fromkeys(ASYNC_WORKLOADS, ASYNC_CONTENDERS),
    **dict.fromkeys(VIEW_WORKLOADS, VIEW_CONTENDERS),
    **ROUTING_WORKLOADS,
}
"""Every workload, and the contenders it reports (at least)."""


@dataclass
class Run:
    stdout: str
    stderr: str
    results: list[dict[str, Any]]
    out: Path


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("benchmarks")
    command = [sys.executable, "-m", "benchmarks", "--quick", "--results", str(base / "results")]
    command += ["--out", str(base / "docs"), *(part for url in URLS for part in ("--url", url))]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    results = [json.loads(path.read_text()) for path in sorted((base / "results").glob("*.json"))]
    return Run(done.stdout, done.stderr, results, base / "docs")


def test_a_result_per_database(quick_run: Run) -> None:
    assert len(quick_run.results) == len(URLS)
    assert {result["mode"] for result in quick_run.results} == {"quick"}
    assert "sqlite" in {result["database"] for result in quick_run.results}


@pytest.mark.parametrize("workload", list(EXPECTED))
def test_every_contender_reports_a_number_or_na(quick_run: Run, workload: str) -> None:
    for result in quick_run.results:
        by_key = {entry["key"]: entry for entry in result["workloads"]}
        assert workload in by_key, f"{result['database']}: {workload} missing"
        outcomes = by_key[workload]["outcomes"]
        names = {outcome["contender"] for outcome in outcomes}
        assert names | {name.split(" ")[0] for name in names} >= set(EXPECTED[workload])
        for outcome in outcomes:
            where = f"{result['database']} / {workload} / {outcome['contender']}"
            assert outcome["status"] in ("ok", "n/a"), f"{where}: {outcome['reason']}"
            if outcome["status"] == "ok":
                assert isinstance(outcome["per_second"], float) and outcome["per_second"] > 0, where
                assert outcome["statements_per_op"] is None or outcome["statements_per_op"] > 0, where
            else:
                assert isinstance(outcome["reason"], str) and outcome["reason"], where
                assert outcome["per_second"] is None, where


@pytest.mark.parametrize("workload", ASYNC_WORKLOADS)
def test_the_async_contenders_are_measured_against_the_async_orm(quick_run: Run, workload: str) -> None:
    """On every database: datalayer's async API and the async ORM always, advanced-alchemy where installed."""
    advanced = importlib.util.find_spec("advanced_alchemy") is not None
    for result in quick_run.results:
        entry = {entry["key"]: entry for entry in result["workloads"]}[workload]
        assert entry["baseline"] == ASYNC_BASELINE
        for outcome in entry["outcomes"]:
            where = f"{result['database']} / {workload} / {outcome['contender']}"
            if outcome["contender"] == "advanced-alchemy-async" and not advanced:
                assert outcome["status"] == "n/a", where
                continue
            assert outcome["status"] == "ok", f"{where}: {outcome['reason']}"
            assert isinstance(outcome["ratio"], float) and outcome["ratio"] > 0, where
            assert len(outcome["spread"]) == 2, where
        assert {"driver", "date", "datalayer"} <= set(result["async"]), result["database"]


def test_only_async_merges_into_the_saved_results(quick_run: Run, tmp_path: Path) -> None:
    saved = next(result for result in quick_run.results if result["database"] == "sqlite")
    (tmp_path / "sqlite.json").write_text(json.dumps(saved))
    command = [sys.executable, "-m", "benchmarks", "--quick", "--only", "async", "--url", "sqlite://"]
    command += ["--results", str(tmp_path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    merged = json.loads((tmp_path / "sqlite.json").read_text())
    keys = [workload["key"] for workload in merged["workloads"]]
    assert keys == [workload["key"] for workload in saved["workloads"]]  # the same workloads, in place
    for old, new in zip(saved["workloads"], merged["workloads"], strict=True):
        assert (old == new) == (old["key"] not in ASYNC_WORKLOADS), old["key"]
    assert merged["date"] == saved["date"] and merged["async"]["date"] >= saved["async"]["date"]
    assert merged["notes"][-1].startswith("The async group was measured later")


def test_quick_mode_judges_no_target(quick_run: Run) -> None:
    outcomes = [o for result in quick_run.results for w in result["workloads"] for o in w["outcomes"]]
    assert all(outcome["target"] is None for outcome in outcomes)
    assert "Targets not met" not in quick_run.stdout


def test_markdown_tables_and_a_chart_per_database(quick_run: Run) -> None:
    page = (quick_run.out / "performance-results.md").read_text()
    assert "| Contender | Rate (ops/s) | x ORM (IQR) | Statements/op |" in page
    assert "| Contender | Rate (ops/s) | x raw DBAPI (IQR) | Statements/op |" in page
    assert "### Read views" in page and "### Read replicas" in page
    assert "```" not in page  # the docs test runs every fenced example
    try:
        importlib.import_module("matplotlib")
    except ImportError:
        matplotlib = False
        assert "matplotlib is not installed" in quick_run.stderr
    else:
        matplotlib = True
    for result in quick_run.results:
        assert f"## {result['database']} " in page
        chart = quick_run.out / "img" / f"benchmarks-{result['database']}.png"
        assert chart.is_file() == matplotlib, chart
        assert (f"](img/benchmarks-{result['database']}.png)" in page) == matplotlib
        if matplotlib:
            assert chart.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("workload", VIEW_WORKLOADS)
def test_the_views_are_measured_against_the_raw_driver_on_every_database(
    quick_run: Run, workload: str
) -> None:
    """The repository of views, the ORM and the driver everywhere; the stream with its peak memory."""
    for result in quick_run.results:
        entry = {entry["key"]: entry for entry in result["workloads"]}[workload]
        assert entry["baseline"] == BASELINE_VIEWS
        by_name = {outcome["contender"]: outcome for outcome in entry["outcomes"]}
        for name in ("datalayer-view-repo", "sqlalchemy-orm", BASELINE_VIEWS):
            where = f"{result['database']} / {workload} / {name}"
            assert by_name[name]["status"] == "ok", f"{where}: {by_name[name]['reason']}"
            assert by_name[name]["ratio"] > 0, where
            if workload == "views_stream":
                assert by_name[name]["extra"]["peak_mb"] is not None, where
        assert by_name[BASELINE_VIEWS]["ratio"] == 1.0


def test_routing_is_measured_where_a_replica_replicates_and_na_with_the_reason_elsewhere(
    quick_run: Run,
) -> None:
    for result in quick_run.results:
        by_key = {entry["key"]: entry for entry in result["workloads"]}
        units = {outcome["contender"]: outcome for outcome in by_key["routing_units"]["outcomes"]}
        pairs = by_key["routing_ryw"]["outcomes"][0]
        if result["database"] == "sqlite":
            assert pairs["status"] == units[ROUTED]["status"] == "n/a"
            assert "sqlite has no replicas" in pairs["reason"]
            continue
        if pairs["status"] == "n/a":  # the replica is not up here: the reason says how to start it
            assert "scripts/cluster.sh up" in pairs["reason"], pairs["reason"]
            continue
        assert units[ROUTED]["status"] == "ok" and units[ROUTED]["ratio"] > 0, units[ROUTED]
        assert by_key["routing_units"]["baseline"] == BASELINE_ROUTING
        assert pairs["status"] == "ok", pairs["reason"]
        extra = pairs["extra"]
        assert 0 < extra["wait_median_ms"] <= extra["wait_p99_ms"], extra
        done, total = (int(part) for part in extra["on_replica"].split("/"))
        assert total >= 100 and 0 <= done <= total, extra
