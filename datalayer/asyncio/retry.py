"""Running an asyncio unit of work as a retried coroutine function: :func:`datalayer.run`'s contract."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Concatenate, ParamSpec, TypeVar

from ..errors import RetryableError
from ..retry import OnRetry, Retries

__all__ = ["run", "transactional"]

U = TypeVar("U")
T = TypeVar("T")
P = ParamSpec("P")

AsyncUnitFactory = Callable[[], AbstractAsyncContextManager[U]]


async def run(
    unit: AsyncUnitFactory[U],
    fn: Callable[[U], Awaitable[T]],
    *,
    attempts: int = 5,
    backoff: float = 0.01,
    max_backoff: float = 1.0,
    on_retry: OnRetry | None = None,
) -> T:
    """Await ``fn(uow)`` in a fresh unit of work from ``unit()``; retry transient failures.

    As :func:`datalayer.run`: a :class:`~datalayer.errors.RetryableError` rolls
    the unit back and runs ``fn`` again in a new one after a jittered exponential
    backoff (``asyncio.sleep``: other tasks go on), up to ``attempts`` runs in all;
    any other error, and cancellation, propagate at once.

    Example::

        order = await run(AppUnitOfWork, lambda uow: place_order(uow, "a@example.com", "tea"))
    """
    retries = Retries(attempts, backoff, max_backoff, on_retry)
    attempt = 0
    while True:
        attempt += 1
        try:
            async with unit() as uow:
                return await fn(uow)
        except RetryableError as error:
            delay = retries.delay(attempt, error)
            if delay is None:
                raise
        await asyncio.sleep(delay)


def transactional(
    unit: AsyncUnitFactory[U],
    *,
    attempts: int = 5,
    backoff: float = 0.01,
    max_backoff: float = 1.0,
    on_retry: OnRetry | None = None,
) -> Callable[[Callable[Concatenate[U, P], Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Decorate a coroutine function of ``(uow, ...)`` so each call runs in a fresh, retried unit of work.

    Example::

        @transactional(AppUnitOfWork, attempts=5)
        async def place_order(uow: AppUnitOfWork, email: str, item: str) -> Order:
            user = await uow.users.first_or_create(email=email)
            return await uow.orders.create(user=user, item=item)

        order = await place_order("a@example.com", "tea")  # committed, or raised
    """

    def decorate(fn: Callable[Concatenate[U, P], Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(fn)
        async def call(*args: P.args, **kwargs: P.kwargs) -> T:
            return await run(
                unit,
                lambda uow: fn(uow, *args, **kwargs),
                attempts=attempts,
                backoff=backoff,
                max_backoff=max_backoff,
                on_retry=on_retry,
            )

        return call

    return decorate
