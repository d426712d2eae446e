"""Racing threads: every thread released together on each key, the ids each call returned collected."""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Callable

__all__ = ["fresh_keys", "run_race"]


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
