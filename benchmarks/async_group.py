"""The async group: the per-operation workloads on asyncio drivers, and merging it into saved results.

``python -m benchmarks --only async`` measures this group alone and merges it into the database's saved
``<database>.json``: the group's workloads replace any earlier ones, after the sync per-operation
workloads, and a note says when and at which commit the group was measured.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from sqlalchemy import make_url

from . import ASYNC_BASELINE, ASYNC_CONTENDERS
from .contenders import build
from .contenders.async_base import ASYNC_DRIVERS
from .databases import Target
from .workloads import OP_WORKLOADS, Result, Sizes, run_async_op_workloads

__all__ = ["PREFIX", "async_record", "merge", "run_async_group"]

PREFIX = "async_"
"""The async group's workload keys start with it."""
_PACKAGES = ("greenlet", "aiosqlite", "asyncpg", "aiomysql")


def run_async_group(
    target: Target, sizes: Sizes, tag: str, log: Callable[[str], None]
) -> tuple[list[Result], float]:
    """Build the async contenders on ``target``, run the group, close them; the results and seconds taken."""
    started = time.perf_counter()
    contenders = {name: build(name, target.url) for name in ASYNC_CONTENDERS}
    try:
        results = run_async_op_workloads(contenders, sizes, tag)
    finally:
        for contender in contenders.values():
            contender.close()
    log(f"[{target.name}] async per-operation workloads done")
    return results, time.perf_counter() - started


def async_record(url: str, mode: str, revision: str, seconds: float) -> dict[str, Any]:
    """What the group was measured with, saved with the result as ``"async"``."""
    driver = ASYNC_DRIVERS.get(make_url(url).get_backend_name())
    versions: dict[str, str | None] = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "baseline": ASYNC_BASELINE,
        "driver": driver,
        "driver_version": versions.get(driver or ""),
        "greenlet": versions["greenlet"],
        "mode": mode,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "datalayer": revision,
        "seconds": round(seconds, 1),
    }


def merge(saved: dict[str, Any] | None, measured: dict[str, Any]) -> dict[str, Any]:
    """``saved`` (a full result) with the async group of ``measured`` in place of its own.

    Without a saved result, ``measured`` stands alone. A quick run is never merged into a full one.
    """
    if saved is None:
        return measured
    if saved["mode"] != measured["mode"]:
        raise ValueError(
            f"{saved['database']}: the saved results are from a {saved['mode']} run; "
            f"a {measured['mode']} run of the async group is not merged into them"
        )
    kept = [w for w in saved["workloads"] if not w["key"].startswith(PREFIX)]
    op_keys = {workload.key for workload in OP_WORKLOADS}
    at = max((i + 1 for i, w in enumerate(kept) if w["key"] in op_keys), default=0)
    record = measured["async"]
    note = (
        f"The async group was measured later, on {record['date']} at datalayer {record['datalayer']} "
        f"(`--only async`, {record['seconds']:.0f} s), and merged into this run's results."
    )
    if measured["server_version"] != saved["server_version"]:
        note += f" The server was then at version {measured['server_version']}."
    notes = [n for n in saved["notes"] if not n.startswith("The async group ")]
    return {
        **saved,
        "notes": [*notes, *(n for n in measured["notes"] if n not in notes), note],
        "workloads": [*kept[:at], *measured["workloads"], *kept[at:]],
        "async": record,
    }
