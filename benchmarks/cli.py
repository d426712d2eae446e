"""``python -m benchmarks [--quick] [--url URL ...] [--out docs/] [--results DIR] [--strict] [--only async]``.

``python -m benchmarks --report-only --out docs/`` runs nothing: it redraws the results page and its
charts from the results saved in ``--results`` by an earlier run. ``--only async`` runs the async group
alone and merges it into each database's saved results (see :mod:`benchmarks.async_group`).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from datalayer._urls import shown

from .async_group import merge
from .databases import close_target, default_urls, open_target
from .report import load_result, load_results, write_json, write_page
from .suite import run_database
from .tables import results_table
from .targets import judge, unmet
from .workloads import FULL, QUICK

__all__ = ["main"]

RESULTS = Path(__file__).resolve().parent / "results"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark datalayer against hand-written SQLAlchemy, the raw driver, sqla-wrapper and "
        "advanced-alchemy, side by side in one run; its asyncio API against hand-written async SQLAlchemy "
        "and advanced-alchemy's async repositories. Default databases: a temporary SQLite file, plus "
        "PostgreSQL / MariaDB when DATALAYER_BENCH_POSTGRESQL_URL / DATALAYER_BENCH_MARIADB_URL (or the "
        "DATALAYER_TEST_* variables) are set; each server gets a database of its own, dropped at the end.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, few repetitions; targets not judged"
    )
    parser.add_argument(
        "--url", action="append", help="a database to run on (repeatable; 'sqlite://' = temp file)"
    )
    parser.add_argument(
        "--out", type=Path, help="write performance-results.md and img/benchmarks-<database>.png here"
    )
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="where <database>.json go (%(default)s)"
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: rewrite --out's page and charts from the <database>.json in --results",
    )
    parser.add_argument("--strict", action="store_true", help="full mode: exit 1 when a target is not met")
    parser.add_argument(
        "--only",
        choices=["async"],
        help="run only this group of workloads and merge it into the <database>.json in --results",
    )
    return parser


def _log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def _write_page(results: list[dict[str, Any]], out: Path) -> None:
    for path in write_page(results, out, _log):
        _log(f"wrote {path}")


def _report_only(args: argparse.Namespace) -> int:
    results = load_results(args.results)
    if not results:
        _log(f"no <database>.json in {args.results}: nothing to report")
        return 2
    _write_page(results, args.out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.report_only:
        if args.out is None or args.quick or args.url or args.strict or args.only:
            parser.error("--report-only takes --out (required) and --results, and nothing else")
        return _report_only(args)
    mode = "quick" if args.quick else "full"
    sizes = QUICK if args.quick else FULL
    results: list[dict[str, Any]] = []
    taken: set[str] = set()
    failed = False
    for url in args.url or default_urls():
        target = open_target(url, taken)
        _log(f"[{target.name}] {mode} run on {shown(target.url)}")
        try:
            measured = result = run_database(target, sizes, mode, _log, args.only)
            if args.only:
                result = merge(load_result(args.results, target.name), measured)
        except Exception as exc:  # one database failing does not lose the others' results
            traceback.print_exc()
            _log(f"[{target.name}] failed: {type(exc).__name__}: {exc}")
            failed = True
            continue
        finally:
            close_target(target)
        if mode == "full":
            judge(result)
        _log(f"[{target.name}] results in {write_json(result, args.results)}")
        tables = "\n\n".join(f"### {w['title']}\n\n{results_table(w)}" for w in measured["workloads"])
        print(f"\n## {result['database']} ({mode})\n\n{tables}\n", flush=True)
        results.append(result)
    if args.out is not None and results:
        _write_page(results, args.out)
    missed = [f"[{result['database']}] {line}" for result in results for line in unmet(result)]
    if mode == "full":
        print("Targets not met:\n" + ("\n".join(f"- {line}" for line in missed) if missed else "- none"))
    if failed:
        return 2
    return 1 if args.strict and missed else 0
