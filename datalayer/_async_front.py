"""The ``async with`` front of a unit of work's block, shared by AsyncUnitOfWork and its in-memory fake.

The front owns no transaction logic: entering, leaving, committing and rolling
back are the sync block's (``_unit_block.TransactionBlock``), run by ``_run``:
through SQLAlchemy's greenlet bridge for the real unit, directly for the fake,
which sends nothing anywhere.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Self, TypeVar

from ._unit_block import TransactionBlock

__all__ = ["AsyncFront", "TaskBlock"]

B = TypeVar("B", bound=TransactionBlock[Any])
P = ParamSpec("P")
T = TypeVar("T")


class AsyncFront(Generic[B]):
    """``async with`` over the sync block ``_block``; its declared repositories read from the block."""

    _block: B

    async def _run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a step of the block: the fake's directly; the real unit's through the bridge."""
        return fn(*args, **kwargs)

    async def __aenter__(self) -> Self:
        self._block.__enter__()  # no I/O: opens the session, builds the repositories
        # Set on the front too while the block is open: read on every call, a repository
        # then costs an attribute lookup, not a failed one and __getattr__.
        attached = self._block.attached_repositories()
        self.__dict__.update(attached)
        self.__dict__["_front_repositories"] = tuple(attached)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self._run(self._block.__exit__, exc_type, exc, traceback)
        finally:
            if not self._block.active:
                for name in self.__dict__.pop("_front_repositories", ()):
                    self.__dict__.pop(name, None)

    async def commit(self) -> None:
        """Commit the work so far; the unit stays usable (see :meth:`datalayer.UnitOfWork.commit`)."""
        await self._run(self._block.commit)

    async def rollback(self) -> None:
        """Undo the work since the last commit; the unit stays usable."""
        await self._run(self._block.rollback)

    if not TYPE_CHECKING:  # keep type checkers strict about attribute names

        def __getattr__(self, name: str) -> Any:
            # Only reached for missing attributes: the declared repositories live on the block.
            if name not in ("_block", "database") and name in self._block._repository_names():
                try:
                    return self._block.__dict__[name]
                except KeyError:
                    raise AttributeError(
                        f"{type(self).__name__}.{name} exists only inside the `async with` block",
                        name=name,
                        obj=self,
                    ) from None
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self
            )


class TaskBlock:
    """Mixin of the sync block an AsyncFront runs: named for its front, and owned by a task, not a thread."""

    _owner: Any  # the front: each block class says which
    _with = "async with"

    @property
    def _name(self) -> str:
        return type(self._owner).__name__

    def _entrant(self) -> tuple[object, str]:
        task = asyncio.current_task()
        return (task if task is not None else threading.get_ident()), "task"
