"""datalayer on asyncio: the same helpers, repositories and unit of work, awaitable.

Needs the ``asyncio`` extra (``pip install "datalayer-sqla[asyncio]"``: SQLAlchemy's
greenlet support, and aiosqlite) and an async driver. Every method is the sync
implementation, run through SQLAlchemy's greenlet bridge.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import importlib

try:
    importlib.import_module("greenlet")  # SQLAlchemy's asyncio support needs it at import
except ImportError as missing:
    raise ImportError(
        'datalayer.asyncio needs the greenlet package: pip install "datalayer-sqla[asyncio]"'
    ) from missing

from .database import AsyncDatabase
from .repository import AsyncRepository
from .retry import run, transactional
from .session import AsyncSession
from .unit_of_work import AsyncUnitOfWork

__all__ = ["AsyncDatabase", "AsyncRepository", "AsyncSession", "AsyncUnitOfWork", "run", "transactional"]
