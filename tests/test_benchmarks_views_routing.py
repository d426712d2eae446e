"""The read views' and the routing's targets and table columns, judged on results made up here."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.routing import BASELINE_ROUTING, ROUTED
from benchmarks.tables import results_table
from benchmarks.targets import judge, unmet
from benchmarks.views import BASELINE_VIEWS


def _outcome(contender: str, ratio: float | None, **extra: Any) -> dict[str, Any]:
    status = "ok" if ratio is not None else "n/a"
    return {"contender": contender, "status": status, "ratio": ratio, "extra": extra, "target": None,
            "per_second": 100.0 if ratio else None, "spread": None, "statements_per_op": 1.0,
            "reason": None if ratio else "no replica"}  # fmt: skip


def _workload(key: str, baseline: str | None, outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"key": key, "title": key, "unit": "ops/s", "definition": "", "baseline": baseline,
            "outcomes": outcomes}  # fmt: skip


def _judged(*workloads: dict[str, Any]) -> dict[str, Any]:
    result = {"database": "postgresql", "workloads": list(workloads)}
    judge(result)
    return result


@pytest.mark.parametrize(("ratio", "met"), [(0.49, False), (0.5, True), (1.2, True)])
def test_a_view_lookup_is_judged_against_half_the_raw_driver(ratio: float, met: bool) -> None:
    outcomes = [
        _outcome("datalayer-view-repo", ratio),
        _outcome("sqlalchemy-orm", 0.2),
        _outcome(BASELINE_VIEWS, 1.0),
    ]
    result = _judged(_workload("views_lookup", BASELINE_VIEWS, outcomes))
    view, orm, raw = result["workloads"][0]["outcomes"]
    assert view["target"]["rule"] == ">= 0.5x raw DBAPI" and view["target"]["met"] is met
    assert orm["target"] is None and raw["target"] is None  # only datalayer is judged
    assert (unmet(result) == []) is met


@pytest.mark.parametrize(("peak", "met"), [(12.0, True), (50.0, False)])
def test_the_view_stream_is_judged_on_its_speed_and_its_peak_memory(peak: float, met: bool) -> None:
    outcome = _outcome("datalayer-view-repo", 0.8, peak_mb=peak)
    result = _judged(_workload("views_stream", BASELINE_VIEWS, [outcome, _outcome(BASELINE_VIEWS, 1.0)]))
    target = result["workloads"][0]["outcomes"][0]["target"]
    assert target["rule"] == ">= 0.5x raw DBAPI and peak < 50 MB"
    assert [check["met"] for check in target["checks"]] == [True, met]
    assert target["met"] is met


def test_routing_is_judged_on_the_routed_units_only_and_the_wait_is_reported_not_judged() -> None:
    units = _workload(
        "routing_units", BASELINE_ROUTING, [_outcome(ROUTED, 0.94), _outcome(BASELINE_ROUTING, 1.0)]
    )
    pairs = _workload("routing_ryw", None, [_outcome(ROUTED, None, wait_median_ms=1.25, wait_p99_ms=9.5)])
    result = _judged(units, pairs)
    routed, baseline = result["workloads"][0]["outcomes"]
    assert routed["target"]["rule"] == ">= 0.95x without replicas" and routed["target"]["met"] is False
    assert baseline["target"] is None and result["workloads"][1]["outcomes"][0]["target"] is None
    assert unmet(result) == [f"routing_units / {ROUTED}: >= 0.95x without replicas"]


def test_an_unreachable_replica_leaves_the_routing_target_unjudged() -> None:
    units = _workload(
        "routing_units", BASELINE_ROUTING, [_outcome(ROUTED, None), _outcome(BASELINE_ROUTING, None)]
    )
    assert _judged(units)["workloads"][0]["outcomes"][0]["target"]["met"] is None


def test_the_tables_name_each_baseline_and_show_the_wait() -> None:
    views = _workload(
        "views_get", BASELINE_VIEWS, [_outcome("datalayer-view-repo", 0.7), _outcome(BASELINE_VIEWS, 1.0)]
    )
    units = _workload(
        "routing_units", BASELINE_ROUTING, [_outcome(ROUTED, 0.97), _outcome(BASELINE_ROUTING, 1.0)]
    )
    pair = _outcome(ROUTED, None, wait_median_ms=1.25, wait_p99_ms=9.5, on_replica="99/100")
    pair.update(status="ok", per_second=150.0)
    assert "| x raw DBAPI (IQR) |" in results_table(views)
    assert "| x no replicas (IQR) |" in results_table(units)
    table = results_table(_workload("routing_ryw", None, [pair]))
    assert (
        "wait\u00a01.2\u00a0ms\u00a0median<br>wait\u00a09.5\u00a0ms\u00a0p99<br>99/100\u00a0on\u00a0the\u00a0replica"
        in table
    )
