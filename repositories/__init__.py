"""Generic, typed repositories over datalayer's session helpers.

The package applications import repositories from, and derive their own from.
The generic ``Repository`` is built in ``datalayer`` beside the unit of work
that declares it, so that imports run one way: ``repositories`` uses
``datalayer``, never the reverse. ``AsyncRepository`` is its asyncio twin.
"""

from __future__ import annotations

from datalayer._repository import Repository
from datalayer.asyncio.repository import AsyncRepository

__all__ = ["AsyncRepository", "Repository"]
