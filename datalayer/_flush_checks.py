"""The one ``before_flush`` listener of datalayer's Session: what every flush checks before sending anything.

A read-only session refuses to flush changes; every new or changed object is
measured against its columns' lengths, whatever added or changed it (the helpers
or plain SQLAlchemy). One listener, so a flush pays for one event call.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from . import _read_only
from ._lengths import check_state

__all__ = ["check_flush"]


def check_flush(session: Session, _context: Any, _instances: Any) -> None:
    """``before_flush`` listener: ReadOnlyError or ValueTooLongError before anything is sent."""
    _read_only.refuse_changes(session)
    for obj in session.new:
        check_state(instance_state(obj), changed_only=False)
    for obj in session.dirty:
        check_state(instance_state(obj), changed_only=True)
