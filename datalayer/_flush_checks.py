"""Checks every flush of a datalayer Session makes before sending anything."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from ._mapping import check_lengths

__all__ = ["refuse_over_long_strings"]


def refuse_over_long_strings(session: Session, _context: Any, _instances: Any) -> None:
    """``before_flush`` listener of datalayer's Session: ValueTooLongError before anything is sent."""
    # Servers cut an over-long value's trailing whitespace without an error: refuse
    # it here, for objects added or changed by any means, not only by the helpers.
    for obj in session.new:
        state = inspect(obj)
        check_lengths(state.mapper, state.dict)  # what is not a measured column is passed over
    for obj in session.dirty:
        state = inspect(obj)
        changed = {attr.key: attr.value for attr in state.attrs if attr.history.added}
        check_lengths(state.mapper, changed)
