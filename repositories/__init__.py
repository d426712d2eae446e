"""Generic, typed repositories over datalayer's session helpers."""

from __future__ import annotations

from .repository import Repository

__all__ = ["Repository"]
