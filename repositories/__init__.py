"""Generic, typed repositories over datalayer's session helpers.

The package applications import repositories from, and derive their own from.
The generic ``Repository`` is built in ``datalayer`` beside the unit of work
that declares it, so that imports run one way: ``repositories`` uses
``datalayer``, never the reverse. ``AsyncRepository`` is its asyncio twin,
imported on first use (it needs the ``asyncio`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datalayer._repository import Repository

if TYPE_CHECKING:
    from datalayer.asyncio.repository import AsyncRepository

__all__ = ["AsyncRepository", "Repository"]


def __getattr__(name: str) -> object:
    if name == "AsyncRepository":  # only asyncio users need greenlet
        from datalayer.asyncio.repository import AsyncRepository

        return AsyncRepository
    raise AttributeError(f"module 'repositories' has no attribute {name!r}")
