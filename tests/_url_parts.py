"""A URL as sqla-wrapper's keyword constructor takes it: ``dialect=``, ``name=``, ``user=``..."""

from __future__ import annotations

from typing import Any

from sqlalchemy import URL, make_url


def parts_of(url: str | URL) -> dict[str, Any]:
    """``url`` as sqla-wrapper's separate keywords, its query string as the driver's ``connect_args``."""
    parsed = make_url(url)
    parts: dict[str, Any] = {
        "dialect": parsed.drivername,
        "name": parsed.database,
        "user": parsed.username,
        "password": parsed.password,
        "host": parsed.host,
        "port": parsed.port,
    }
    if parsed.query:
        parts["engine_options"] = {"connect_args": dict(parsed.query)}
    return {key: value for key, value in parts.items() if value is not None}
