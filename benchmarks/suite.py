"""One database's run: set up the tables, run every workload for every contender, tear down.

The async group runs right after the sync per-operation workloads; ``only="async"`` runs it alone.
"""

from __future__ import annotations

import platform
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from . import BASELINE, CONTENDERS
from .async_group import async_record, run_async_group
from .bulk import run_bulk
from .contenders import Contender, build
from .databases import Target
from .iteration import run_iteration
from .paging import BASELINE_PAGING, run_paging
from .replay import replay_held
from .routing import run_routing
from .schema import create_tables, drop_tables, fill_items, seed_users
from .views import run_views
from .workloads import Result, Sizes, run_op_workloads

__all__ = ["run_database"]

Log = Callable[[str], None]
_PACKAGES = ("SQLAlchemy", "psycopg", "PyMySQL", "sqla-wrapper", "advanced-alchemy")


def run_database(
    target: Target, sizes: Sizes, mode: str, log: Log, only: str | None = None
) -> dict[str, Any]:
    """Every workload on ``target`` (only the async group with ``only="async"``); the JSON-ready result."""
    started = time.perf_counter()
    engine = create_engine(target.url)
    try:
        create_tables(engine)
        seed_users(engine, sizes.users)
        if only is None:  # the large table is for iterating and paging only
            fill_items(engine, sizes.items)
        version = engine.dialect.server_version_info
    finally:
        engine.dispose()
    log(f"[{target.name}] tables ready ({sizes.users:,} users, {0 if only else sizes.items:,} items)")
    try:
        results, async_seconds = _workloads(target, sizes, log, only)
    finally:
        engine = create_engine(target.url)
        drop_tables(engine)
        engine.dispose()
    environment = _environment()
    return {
        "database": target.name,
        "server_version": ".".join(str(part) for part in version or ()),
        "mode": mode,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "sizes": sizes.__dict__,
        "environment": environment,
        "notes": target.notes,
        "workloads": [result.as_dict() for result in results],
        "async": async_record(target.url, mode, environment["datalayer"], async_seconds),
    }


def _workloads(target: Target, sizes: Sizes, log: Log, only: str | None) -> tuple[list[Result], float]:
    """The results, and the seconds the async group took."""
    tag = uuid.uuid4().hex[:8]
    if only is not None:
        return run_async_group(target, sizes, tag, log)
    contenders = {name: build(name, target.url) for name in CONTENDERS}
    try:
        with replay_held(target.url):  # the replica replays it all later, apart from the timings
            results = run_op_workloads(contenders, sizes, tag)
            log(f"[{target.name}] per-operation workloads done")
            group, seconds = run_async_group(target, sizes, tag, log)
            rest = _sync_rest(target, contenders, sizes, log)
        rest.extend(run_routing(target.url, sizes))
        log(f"[{target.name}] replicas done")
        return [*results, *group, *rest], seconds
    finally:
        for contender in contenders.values():
            contender.close()


def _sync_rest(target: Target, contenders: dict[str, Contender], sizes: Sizes, log: Log) -> list[Result]:
    results: list[Result] = []
    for size in sizes.bulk:
        outcomes = run_bulk(target.url, contenders, size, sizes.per_row_cap, sizes.bulk_reps)
        definition = (
            f"{size:,} rows in one transaction; per-row create on {min(size, sizes.per_row_cap):,} rows"
        )
        results.append(
            Result(f"bulk_{size}", f"Bulk create {size:,} rows", "rows/s", definition, BASELINE, outcomes)
        )
        log(f"[{target.name}] bulk create of {size:,} rows done")
    by_mode = run_iteration(target.url, sizes.iterate_reps, sizes.items)
    for mode, outcomes in by_mode.items():
        title = f"Iterate over {sizes.items:,} rows ({mode})"
        definition = "every row read and one attribute touched, in a fresh process; peak MB = RSS growth"
        results.append(Result(f"iterate_{mode}", title, "rows/s", definition, BASELINE, outcomes))
    log(f"[{target.name}] iteration done")
    first, far = run_paging(
        contenders, sizes.reps, sizes.page_size, sizes.far_page, sizes.page_fetches, sizes.settle
    )
    for page, outcomes in ((1, first), (sizes.far_page, far)):
        title = f"Page {page:,} of {sizes.items:,} rows"
        definition = f"{sizes.page_size} rows ordered by id, one session per fetch"
        results.append(Result(f"page_{page}", title, "pages/s", definition, BASELINE_PAGING, outcomes))
    log(f"[{target.name}] pagination done")
    results.extend(run_views(target.url, contenders, sizes))
    log(f"[{target.name}] views done")
    return results


def _environment() -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "datalayer": _datalayer_revision(),
        "packages": versions,
    }


def _datalayer_revision() -> str:
    """The commit the library was measured at, marked ``+changes`` when the work tree differs."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "datalayer", "repositories"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return metadata.version("datalayer-sqla")
    return f"{commit}+changes" if changed else commit
