"""datalayer: a repository-pattern data access layer on SQLAlchemy 2.x.

``Database`` holds the engine, the ``Model`` base and the sessions; ``Session``
adds sqla-wrapper's helpers to SQLAlchemy's; ``UnitOfWork`` owns a transaction;
``RepositoryContract`` (and ``AsyncRepositoryContract``) types a service's repositories,
real or fake; ``view(Model)`` declares a read model that the reading helpers build
straight from rows. The asyncio API is in :mod:`datalayer.asyncio`.
"""

from __future__ import annotations

from . import errors
from ._contract import AsyncRepositoryContract, RepositoryContract
from ._views import view
from .database import Database
from .retry import run, transactional
from .session import ScopedSession, Session
from .unit_of_work import UnitOfWork

__all__ = [
    "AsyncRepositoryContract",
    "Database",
    "RepositoryContract",
    "ScopedSession",
    "Session",
    "UnitOfWork",
    "errors",
    "run",
    "transactional",
    "view",
]
