"""A write sent without the unit of work's flush fails as a flush fails.

A failed flush rolls the session's transaction (or the SAVEPOINT it is in)
back and leaves the session refusing work with ``PendingRollbackError`` until
``rollback()``. The paths that send their own INSERT (``create_many``'s
statements and COPY) leave it the same way, so that callers cannot tell them
apart and no part of a failed batch can be committed.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapper

from ._session_like import SessionLike
from ._translate import raise_conflict
from ._unflushed import own

__all__ = ["fail_as_flush", "written"]


@contextmanager
def written(session: SessionLike, mapper: Mapper[Any], what: str) -> Generator[None, None, None]:
    """A write sent in the block fails as a flush fails, a unique violation as ConflictError about ``what``.

    Whatever fails in the block (the statement, loading what it returned, a
    refusal raised after it), part of the write may be in: the transaction is
    rolled back with it, on every database alike.
    """
    try:
        yield
    except BaseException as error:
        fail_as_flush(session)
        if isinstance(error, IntegrityError):
            raise_conflict(session, mapper, error, what)
        raise


def fail_as_flush(session: SessionLike) -> None:
    """Roll back as a failed flush does; call while handling the failure (it is kept as the cause).

    The inner transaction a flush opens, rolled back with the exception, rolls
    back the whole transaction and leaves the session unusable until rollback().
    """
    session = own(session)
    current = session.get_nested_transaction() or session.get_transaction()
    if current is not None and not current.is_active:
        return  # already failed (a flush of pending work): nothing more to roll back
    inner = session._autobegin_t()._begin()  # pyright: ignore[reportPrivateUsage]
    inner.rollback(_capture_exception=True)
