"""Running a unit of work as a retried function."""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Concatenate, ParamSpec, TypeVar

import attrs

from .errors import RetryableError, UsageError

__all__ = ["run", "transactional"]

logger = logging.getLogger("datalayer")

U = TypeVar("U")
T = TypeVar("T")
P = ParamSpec("P")

UnitFactory = Callable[[], AbstractContextManager[U]]
OnRetry = Callable[[int, RetryableError, float], None]


@attrs.frozen
class Retries:
    """When to run a unit of work again, and after how long: shared by the sync and asyncio runners."""

    attempts: int
    backoff: float
    max_backoff: float
    on_retry: OnRetry | None

    def __attrs_post_init__(self) -> None:
        if self.attempts < 1:
            raise UsageError(f"attempts must be at least 1, not {self.attempts!r}")

    def delay(self, attempt: int, error: RetryableError) -> float | None:
        """How long to wait before the next attempt after ``error``, or None when it was the last."""
        if attempt >= self.attempts:
            return None
        delay = random.uniform(0, min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))
        name = type(error).__name__
        logger.info("retrying a unit of work after %s (attempt %d of %d)", name, attempt, self.attempts)
        if self.on_retry is not None:
            self.on_retry(attempt, error, delay)
        return delay


def run(
    unit: UnitFactory[U],
    fn: Callable[[U], T],
    *,
    attempts: int = 5,
    backoff: float = 0.01,
    max_backoff: float = 1.0,
    on_retry: OnRetry | None = None,
) -> T:
    """Run ``fn(uow)`` in a fresh unit of work from ``unit()``; retry transient failures.

    A :class:`~datalayer.errors.RetryableError` (serialization failure, deadlock,
    lock timeout, a connection dropped before COMMIT, a conflict the snapshot
    hides) rolls the unit back and runs ``fn`` again in a new one, after a
    jittered exponential backoff, up to ``attempts`` runs in all; the last
    failure then propagates. Any other error propagates at once. ``fn`` must be
    safe to run again: it should do its work through the unit and nothing else.

    Example::

        order = run(AppUnitOfWork, lambda uow: place_order(uow, "a@example.com", "tea"))
    """
    retries = Retries(attempts, backoff, max_backoff, on_retry)
    attempt = 0
    while True:
        attempt += 1
        try:
            with unit() as uow:
                return fn(uow)
        except RetryableError as error:
            delay = retries.delay(attempt, error)
            if delay is None:
                raise
        time.sleep(delay)


def transactional(
    unit: UnitFactory[U],
    *,
    attempts: int = 5,
    backoff: float = 0.01,
    max_backoff: float = 1.0,
    on_retry: OnRetry | None = None,
) -> Callable[[Callable[Concatenate[U, P], T]], Callable[P, T]]:
    """Decorate a function of ``(uow, ...)`` so each call runs in a fresh, retried unit of work.

    Example::

        @transactional(AppUnitOfWork, attempts=5)
        def place_order(uow: AppUnitOfWork, email: str, item: str) -> Order:
            user = uow.users.first_or_create(email=email)
            return uow.orders.create(user=user, item=item)

        order = place_order("a@example.com", "tea")  # committed, or raised
    """

    def decorate(fn: Callable[Concatenate[U, P], T]) -> Callable[P, T]:
        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> T:
            return run(
                unit,
                lambda uow: fn(uow, *args, **kwargs),
                attempts=attempts,
                backoff=backoff,
                max_backoff=max_backoff,
                on_retry=on_retry,
            )

        return call

    return decorate
