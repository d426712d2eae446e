"""The bridge from asyncio to datalayer's one implementation: SQLAlchemy's greenlet.

Used by :mod:`datalayer.asyncio` and by the testing tools' awaited factories; it
imports without greenlet (only calling it needs it), so the sync tools can hold it.

Every helper, repository method and unit-of-work step is the sync code, run by
:func:`sqlalchemy.util.greenlet_spawn` (what ``AsyncSession.run_sync`` is built
on): where the sync code waits for the database, the greenlet hands the driver's
awaitable to the event loop, so nothing blocks it.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import ParamSpec, TypeVar

from sqlalchemy.util import greenlet_spawn

__all__ = ["call", "iterate"]

P = ParamSpec("P")
T = TypeVar("T")


async def call(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)``, the sync code, awaited through the greenlet bridge."""
    return await greenlet_spawn(lambda: fn(*args, **kwargs))


async def iterate(iterator: Iterator[T], batch: int) -> AsyncIterator[T]:
    """The items of the sync ``iterator``, advanced inside the bridge ``batch`` items at a time.

    Leaving the loop early closes the iterator inside the bridge too, which
    releases its cursor.
    """
    try:
        while True:
            items = await greenlet_spawn(_take, iterator, batch)
            for item in items:
                yield item
            if len(items) < batch:
                return
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            await greenlet_spawn(close)


def _take(iterator: Iterator[T], count: int) -> list[T]:
    return list(itertools.islice(iterator, count))
