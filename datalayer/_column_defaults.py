"""A column's Python-side ``default`` or ``onupdate``, computed as SQLAlchemy computes it for a statement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy.sql.schema import CallableColumnDefault, DefaultGenerator

__all__ = ["Default", "python_default"]

Default = Callable[[], Any]
"""Computes one row's value of a column, as SQLAlchemy computes it for an INSERT (or an UPDATE)."""


def python_default(default: DefaultGenerator | None) -> Default | None:
    """What computes ``default`` (a column's ``default`` or ``onupdate``) in Python, or None.

    None when SQLAlchemy computes it in the statement (a SQL expression, a
    sequence), when its function reads the execution context, and for no default.
    ``python_default(column.default)()`` is the value an INSERT would send.
    """
    if default is None or default.is_sentinel:
        return None
    if default.is_scalar:
        value = getattr(default, "arg", None)
        return lambda: value
    if isinstance(default, CallableColumnDefault) and default.arg is not default._fn:  # pyright: ignore[reportPrivateUsage]
        # SQLAlchemy wrapped a callable that takes no context: call it as it would, once per row.
        make = cast("Callable[[None], Any]", default.arg)
        return lambda: make(None)
    return None  # a SQL expression, a sequence, or a callable reading the execution context
