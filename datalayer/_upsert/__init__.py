"""upsert, top-down: insert the row, or update the one holding the match key; one statement, one round trip.

``one`` reads top-down: the row is checked (``rows``), its names and match key
once per model and names (``plan``), before anything is sent; the caller's pending work is
flushed, so that its errors are its own; then one
``INSERT .. ON CONFLICT (key) DO UPDATE .. RETURNING`` (PostgreSQL, SQLite) or
``INSERT .. ON DUPLICATE KEY UPDATE .. RETURNING`` (MariaDB 10.5+) is sent
(``statement``), and the returned row is loaded into the identity map with
``populate_existing``: an object already loaded for it gets the stored values.
``many`` sends one such statement per batch of rows.
"""

from __future__ import annotations

from .many import upsert_many
from .one import upsert

__all__ = ["upsert", "upsert_many"]
