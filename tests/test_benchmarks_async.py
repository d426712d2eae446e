"""The benchmark's async group without running it: URLs, targets, and merging into saved results."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import ASYNC_BASELINE
from benchmarks.async_group import merge
from benchmarks.contenders.async_base import ASYNC_DRIVERS, async_url
from benchmarks.targets import ASYNC_NATIVE_DATABASES, judge
from benchmarks.workloads import ASYNC_OP_WORKLOADS, OP_WORKLOADS
from datalayer._backends import backend


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////tmp/bench.db", "sqlite+aiosqlite:////tmp/bench.db"),
        ("sqlite+pysqlite:///bench.db", "sqlite+aiosqlite:///bench.db"),
        ("postgresql+psycopg://root:secret@127.0.0.1:5432/b", "postgresql+asyncpg://root:secret@127.0.0.1:5432/b"),
        ("postgresql://root@host/b", "postgresql+asyncpg://root@host/b"),
        ("mysql+pymysql://root@127.0.0.1:3306/b?charset=utf8mb4", "mysql+aiomysql://root@127.0.0.1:3306/b?charset=utf8mb4"),
        ("mariadb+pymysql://root@127.0.0.1/b", "mariadb+aiomysql://root@127.0.0.1/b"),
    ],
)  # fmt: skip
def test_async_url_swaps_the_driver_and_keeps_the_rest(url: str, expected: str) -> None:
    assert async_url(url) == expected


def test_async_url_refuses_a_database_without_an_asyncio_driver() -> None:
    with pytest.raises(ValueError, match="oracle"):
        async_url("oracle+oracledb://scott@host/db")


@pytest.mark.parametrize("name", sorted(ASYNC_DRIVERS))
def test_the_native_targets_follow_where_datalayer_takes_its_one_round_trip_path(name: str) -> None:
    """The 2x / 1.5x create_or_first targets apply where datalayer runs the native path on that driver."""
    engine = create_async_engine(async_url(f"{name}://"))  # connects to nothing
    dialect = engine.dialect
    engine.sync_engine.dispose()
    facts = backend(dialect)
    native = facts.native_insert is not None and f"{dialect.driver} (asyncio)" in facts.native_drivers
    assert (name in ASYNC_NATIVE_DATABASES) == native


def _result(database: str, ratios: dict[str, float], mode: str = "full") -> dict[str, Any]:
    workloads = [
        {
            "key": w.key,
            "title": w.title,
            "baseline": ASYNC_BASELINE,
            "outcomes": [
                {"contender": name, "status": "ok", "ratio": ratios.get(w.key, 1.0), "target": None}
                for name in ("datalayer-async-session", ASYNC_BASELINE, "advanced-alchemy-async")
            ],
        }
        for w in ASYNC_OP_WORKLOADS
    ]
    record = {"date": "2026-12-01T00:00:00+00:00", "datalayer": "abc1234", "seconds": 60.0}
    return {"database": database, "mode": mode, "server_version": "1", "notes": [], "workloads": workloads,
            "async": record}  # fmt: skip


def _verdicts(result: dict[str, Any]) -> dict[str, tuple[str, bool | None]]:
    judge(result)
    return {
        w["key"]: (o["target"]["rule"], o["target"]["met"])
        for w in result["workloads"]
        for o in w["outcomes"]
        if o["contender"] == "datalayer-async-session"
    }


def test_async_targets_on_sqlite_where_the_native_path_runs() -> None:
    result = _result("sqlite", {"async_create_or_first_new": 1.9, "async_create_or_first_existing": 1.6})
    verdicts = _verdicts(result)
    assert verdicts["async_create_or_first_new"] == (">= 2.0x async ORM", False)
    assert verdicts["async_create_or_first_existing"] == (">= 1.5x async ORM", True)
    assert verdicts["async_lookup"] == (">= 0.95x async ORM", True)
    others = [
        o for w in result["workloads"] for o in w["outcomes"] if o["contender"] != "datalayer-async-session"
    ]
    assert all(outcome["target"] is None for outcome in others)  # only datalayer is judged


@pytest.mark.parametrize("database", ["postgresql"])
def test_async_targets_elsewhere_are_parity(database: str) -> None:
    verdicts = _verdicts(_result(database, {"async_create_or_first_new": 0.9}))
    assert set(verdicts.values()) == {(">= 0.95x async ORM", True), (">= 0.95x async ORM", False)}
    assert verdicts["async_create_or_first_new"] == (">= 0.95x async ORM", False)


def test_merge_puts_the_async_group_after_the_sync_operations() -> None:
    sync = [{"key": w.key} for w in OP_WORKLOADS] + [{"key": "bulk_10"}, {"key": "page_1"}]
    ops = len(OP_WORKLOADS)
    old = _result("sqlite", {})
    saved = {
        **old,
        "date": "then",
        "notes": ["a server note"],
        "workloads": [*sync[:ops], *old["workloads"], *sync[ops:]],
    }
    measured = _result("sqlite", {"async_lookup": 1.2})
    measured["async"]["date"] = "2026-12-02T00:00:00+00:00"
    merged = merge(copy.deepcopy(saved), measured)
    assert [w["key"] for w in merged["workloads"]] == [w["key"] for w in saved["workloads"]]
    assert merged["workloads"][ops : 2 * ops] == measured["workloads"]
    assert merged["date"] == "then" and merged["async"] == measured["async"]
    assert merged["notes"][0] == "a server note"
    assert merged["notes"][1].startswith("The async group was measured later, on 2026-12-02")
    again = merge(merged, measured)  # merging again replaces, never repeats
    assert len(again["workloads"]) == len(saved["workloads"]) and len(again["notes"]) == 2


def test_merge_without_saved_results_keeps_the_group_alone() -> None:
    measured = _result("sqlite", {})
    assert merge(None, measured) is measured


def test_merge_refuses_a_quick_run_into_full_results() -> None:
    with pytest.raises(ValueError, match="quick run of the async group is not merged"):
        merge(_result("sqlite", {}), _result("sqlite", {}, mode="quick"))


def test_every_async_workload_is_named_for_the_async_group() -> None:
    for sync, workload in zip(OP_WORKLOADS, ASYNC_OP_WORKLOADS, strict=True):
        assert workload.key == f"async_{sync.key}" and workload.method == sync.method
        assert workload.title.lower() == f"async: {sync.title.lower()}"
    assert make_url(async_url("sqlite://")).get_driver_name() == "aiosqlite"
