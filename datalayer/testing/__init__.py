"""Testing tools: transactional isolation, factories, query counting and fakes, sync and async.

The pytest plugin (registered on install) builds its fixtures from these; they
work without pytest too. The async tools import nothing of asyncio's until used:
a sync project needs neither greenlet nor pytest-asyncio.
"""

from __future__ import annotations

from ._current import current_session, use_session
from ._transaction import TestTransaction
from .factories import ModelFactory
from .fakes import (
    FakeAsyncRepository,
    FakeAsyncUnitOfWork,
    FakeDatabase,
    FakeRepository,
    FakeSession,
    FakeUnitOfWork,
)
from .isolation import async_clean_tables, async_isolated, clean_tables, isolated
from .migrations import assert_migrations_round_trip
from .queries import QueryLog, assert_queries, count_queries
from .scratch import create_scratch_database, drop_scratch_database

__all__ = [
    "FakeAsyncRepository",
    "FakeAsyncUnitOfWork",
    "FakeDatabase",
    "FakeRepository",
    "FakeSession",
    "FakeUnitOfWork",
    "ModelFactory",
    "QueryLog",
    "TestTransaction",
    "assert_migrations_round_trip",
    "assert_queries",
    "async_clean_tables",
    "async_isolated",
    "clean_tables",
    "count_queries",
    "create_scratch_database",
    "current_session",
    "drop_scratch_database",
    "isolated",
    "use_session",
]
