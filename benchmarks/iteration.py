"""Iterating over every row, as a list and streamed: time and peak memory, each run in a fresh process.

Memory is only meaningful in isolation, so each (contender, mode) run is a
child process: ``python -m benchmarks.iteration URL CONTENDER list|stream``. The
child builds the contender, resets the kernel's peak-RSS mark, reads every row,
and prints JSON: rows, seconds, and the peak RSS growth over the iteration.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

from . import BASELINE, CONTENDERS
from .measure import Outcome, median

__all__ = ["MODES", "run_iteration"]

MODES = ("list", "stream")


def run_iteration(
    url: str,
    reps: int,
    expected_rows: int,
    contenders: tuple[str, ...] = CONTENDERS,
    modes: tuple[str, ...] = MODES,
    baseline: str = BASELINE,
) -> dict[str, list[Outcome]]:
    """Per mode, one outcome per contender; rounds interleave contenders and modes, order rotating."""
    outcomes = {mode: {name: Outcome(name) for name in contenders} for mode in modes}
    runs = [(name, mode) for name in contenders for mode in modes]
    for rep in range(reps):
        shift = rep % len(runs)
        order = runs[shift:] + runs[:shift]
        for name, mode in order if rep % 2 == 0 else reversed(order):
            outcome = outcomes[mode][name]
            if outcome.status != "ok":
                continue
            answer = _child(url, name, mode)
            if answer.get("status") != "ok":
                outcome.status, outcome.reason = answer["status"], answer["reason"]
                continue
            if answer["rows"] != expected_rows:
                outcome.status, outcome.reason = "error", f"read {answer['rows']} rows of {expected_rows}"
                continue
            outcome.samples.append(answer["rows"] / answer["seconds"])
            outcome.extra.setdefault("peak_mb_samples", []).append(answer["peak_mb"])
    for by_name in outcomes.values():
        base = by_name[baseline]
        for outcome in by_name.values():
            if outcome.status != "ok" or not outcome.samples:
                continue
            outcome.per_second = median(outcome.samples)
            outcome.extra["peak_mb"] = max(outcome.extra["peak_mb_samples"])
            outcome.compare(base)
    return {mode: list(by_name.values()) for mode, by_name in outcomes.items()}


def _child(url: str, name: str, mode: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.iteration", url, name, mode]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=_child_env())
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": "error", "reason": f"child process failed: {tail}"}
    answer: dict[str, Any] = json.loads(lines[-1])
    return answer


def _child_env() -> dict[str, str]:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root if not path else f"{root}{os.pathsep}{path}"}


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets VmHWM, the peak-RSS mark
    except OSError:
        return False
    return True


def child_main(url: str, name: str, mode: str) -> dict[str, Any]:
    from .contenders import NotAvailable, build

    contender = build(name, url)
    try:
        before = _rss_kb("VmRSS")
        exact = _reset_peak()
        start = time.perf_counter()
        rows = contender.iterate(stream=mode == "stream")
        seconds = time.perf_counter() - start
        peak = _rss_kb("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except NotAvailable as exc:
        return {"status": "n/a", "reason": str(exc)}
    except Exception as exc:
        return {"status": "error", "reason": f"{type(exc).__name__}: {exc}"}
    finally:
        contender.close()
    return {
        "status": "ok",
        "rows": rows,
        "seconds": seconds,
        "peak_mb": (peak - before) / 1024,
        "exact": exact,
    }


if __name__ == "__main__":
    print(json.dumps(child_main(*sys.argv[1:4])))
