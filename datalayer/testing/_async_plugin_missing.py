"""Stand-ins for the plugin's async fixtures when pytest-asyncio is not active: each says what to do."""

from __future__ import annotations

import pytest

from ..errors import UsageError

__all__ = ["async_committing_db", "async_db_session", "datalayer_async_db"]

_NEEDED = (
    "the datalayer async fixtures run on pytest-asyncio: pip install pytest-asyncio "
    "(and do not disable it with -p no:asyncio)"
)


@pytest.fixture
def datalayer_async_db() -> None:
    """Raises: pytest-asyncio is not active."""
    raise UsageError(_NEEDED)


@pytest.fixture
def async_db_session() -> None:
    """Raises: pytest-asyncio is not active."""
    raise UsageError(_NEEDED)


@pytest.fixture
def async_committing_db() -> None:
    """Raises: pytest-asyncio is not active."""
    raise UsageError(_NEEDED)
