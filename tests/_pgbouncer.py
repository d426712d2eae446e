"""PgBouncer on 127.0.0.1:6432 (transaction mode), which ``scripts/cluster.sh up`` starts in front of the
local PostgreSQL: the URL of a database through it, and whether it runs."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import create_engine, make_url, text

__all__ = ["PGBOUNCER_PORT", "bouncer_down", "through_bouncer"]

PGBOUNCER_PORT = 6432  # fixed: scripts/cluster.sh starts it there


def through_bouncer(url: str) -> str:
    """The URL of ``url``'s database (on the local PostgreSQL) through PgBouncer."""
    return make_url(url).set(port=PGBOUNCER_PORT).render_as_string(hide_password=False)


@functools.cache
def bouncer_down(url: str) -> str | None:
    """Why ``url``'s database cannot be reached through PgBouncer (None: it can)."""
    options: dict[str, Any] = {"connect_args": {"connect_timeout": 2, "prepare_threshold": None}}
    engine = create_engine(through_bouncer(url), **options)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure to reach it is the reason to give
        return (
            f"PgBouncer on 127.0.0.1:{PGBOUNCER_PORT} cannot be reached ({type(error).__name__}): "
            "scripts/cluster.sh up starts it"
        )
    finally:
        engine.dispose()
    return None
