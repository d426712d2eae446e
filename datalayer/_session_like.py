"""Type aliases shared by the helpers and the repositories."""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy.orm import Session, scoped_session

__all__ = ["SessionLike"]

SessionLike: TypeAlias = "Session | scoped_session[Any]"
"""Any SQLAlchemy session the helpers run on: a Session (ours or not) or a scoped proxy."""
