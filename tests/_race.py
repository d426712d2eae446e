"""Racing threads (or processes): released together on each key, what each call returned collected."""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

__all__ = ["fresh_keys", "race_in_processes", "run_race"]


def run_race(
    threads: int, keys: list[str], attempt: Callable[[str], int]
) -> tuple[dict[str, list[int]], list[BaseException]]:
    """Release every thread together on each key in turn; collect the ids each call returned."""
    barrier = threading.Barrier(threads, timeout=60)
    ids: dict[str, list[int]] = defaultdict(list)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        for key in keys:
            barrier.wait()
            try:
                found = attempt(key)
            except BaseException as exc:  # collected and asserted on below
                with lock:
                    errors.append(exc)
            else:
                with lock:
                    ids[key].append(found)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return ids, errors


def fresh_keys(count: int) -> list[str]:
    run = uuid.uuid4().hex[:8]
    return [f"race-{run}-{n}@x.org" for n in range(count)]


def race_in_processes(
    target: Callable[..., None], args: tuple[Any, ...], processes: int, each: int
) -> list[Any]:
    """What ``target(*args, barrier, results)`` put, ``each`` times in each of ``processes`` processes.

    The processes are spawned; fails unless every one exits cleanly.
    """
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes, timeout=120), context.Queue()
    workers = [context.Process(target=target, args=(*args, barrier, results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    got = [results.get(timeout=120) for _ in range(processes * each)]
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0] * processes
    return got
