"""What the processes of the concurrency tests run (importable by a spawned process)."""

from __future__ import annotations

import traceback
from typing import Any

from datalayer import Database
from datalayer.migrations import Migrations


def upgrade(url: str, directory: str, barrier: Any, results: Any) -> None:
    """Wait for the others, then upgrade to head; put "ok" or the traceback on ``results``."""
    db = Database(url)
    try:
        barrier.wait(timeout=60)
        Migrations(db, directory).upgrade()
        results.put("ok")
    except BaseException:
        results.put(traceback.format_exc())
    finally:
        db.dispose()
