"""Driver and pool errors, as datalayer's errors, at the boundary of a unit of work."""

from __future__ import annotations

from typing import Any, NoReturn

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper
from sqlalchemy.orm import exc as orm_exc

from ._backends import backend
from ._error_codes import Kind, constraint_name
from ._refusals import refused_for_good
from ._session_like import SessionLike
from .errors import (
    CertificationConflictError,
    CommitUnknownError,
    ConcurrentUpdateError,
    ConflictError,
    ConnectionLostError,
    DatalayerError,
    DeadlockError,
    LockTimeoutError,
    PoolTimeoutError,
    ReadOnlyError,
    SerializationError,
)

__all__ = ["conflict", "failed_flush", "flush", "raise_conflict", "translate", "unique_conflict"]

_RETRYABLE = {
    Kind.SERIALIZATION: SerializationError,
    Kind.DEADLOCK: DeadlockError,
    Kind.LOCK_TIMEOUT: LockTimeoutError,
}


def conflict(constraint: str | None, what: str) -> ConflictError:
    """The one wording of a unique key's refusal of ``what`` (the flush, a row of create_many...)."""
    where = f" ({constraint})" if constraint else ""
    return ConflictError(f"a unique constraint{where} rejected {what}", constraint=constraint)


def unique_conflict(dialect: Dialect, error: sa_exc.DBAPIError, what: str) -> ConflictError | None:
    """:func:`conflict` when ``error`` is a unique violation (by its driver code), else None."""
    if error.orig is None or backend(dialect).error_kind(error.orig) is not Kind.UNIQUE:
        return None
    return conflict(constraint_name(error.orig), what)


def raise_conflict(
    session: SessionLike, mapper: Mapper[Any], exc: sa_exc.IntegrityError, what: str
) -> NoReturn:
    """Raise ``exc``, a unique violation as :func:`conflict` about ``what`` (chained)."""
    translated = unique_conflict(session.get_bind(mapper=mapper).dialect, exc, what)
    if translated is None:
        raise exc
    raise translated from exc


def flush(session: SessionLike, mapper: Mapper[Any]) -> None:
    """Flush ``session``, turning a unique violation into :class:`ConflictError` (chained)."""
    # A try, not a context manager: a flush per helper call is the hot path, and a
    # generator-based context manager costs more than the try it wraps.
    try:
        session.flush()
    except sa_exc.IntegrityError as exc:
        failed_flush(session, mapper, exc)


def failed_flush(session: SessionLike, mapper: Mapper[Any], exc: sa_exc.IntegrityError) -> NoReturn:
    """Raise the failure of a flush (or of the INSERT sent in its place): a unique violation as a conflict."""
    raise_conflict(session, mapper, exc, "the flush: roll the session back before using it again")


def translate(error: BaseException, dialect: Dialect, *, committing: bool = False) -> DatalayerError | None:
    """Our error for ``error``, to raise ``from`` it; None when it is not a data or transient error.

    ``committing`` says the error came from the COMMIT itself, where a dropped
    connection leaves the outcome unknown.
    """
    if isinstance(error, sa_exc.TimeoutError):  # the pool, not the database
        return PoolTimeoutError(f"no database connection became free in time: {error}")
    if isinstance(error, orm_exc.StaleDataError):  # a version counter did not match
        return ConcurrentUpdateError(f"another transaction changed the row first ({error}): retry the unit")
    if not isinstance(error, sa_exc.DBAPIError):
        return None
    for cause in _chain(error):
        translated = _translate_one(cause, dialect, committing=committing)
        if translated is not None:
            return translated
    return None


def _chain(error: sa_exc.DBAPIError) -> list[sa_exc.DBAPIError]:
    """``error`` and the driver errors it was raised while handling, most recent first.

    A deadlock makes InnoDB roll the whole transaction back, so the SAVEPOINT
    rollback that follows fails: the deadlock, not that failure, is what happened.
    """
    chain: list[sa_exc.DBAPIError] = []
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        if isinstance(current, sa_exc.DBAPIError):
            chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _translate_one(error: sa_exc.DBAPIError, dialect: Dialect, *, committing: bool) -> DatalayerError | None:
    kind = backend(dialect).error_kind(error.orig) if error.orig is not None else None
    # SQLAlchemy flags a connection it saw drop. One that could not be opened at
    # all fails outside any statement: MariaDB says so by its error number (2003,
    # while a bad login or database are 1045/1049, not transient). libpq gives no
    # SQLSTATE for any failure to connect, so on PostgreSQL each counts as refused
    # (retryable) unless the server's answer says it refused us for good (an
    # unknown database, a bad login...): that error propagates unchanged, as on MariaDB.
    refused = (
        kind is None
        and not committing
        and error.statement is None
        and isinstance(error, sa_exc.OperationalError)
        and not backend(dialect).connect_failures_coded
        and getattr(error.orig, "sqlstate", None) is None
        and not refused_for_good(error.orig)
    )
    if error.connection_invalidated or kind is Kind.CONNECTION or refused:
        if committing:
            return CommitUnknownError("the connection dropped during COMMIT: the work may or may not be in")
        return ConnectionLostError(
            "the connection was lost or refused before COMMIT: nothing was saved; retry the unit"
        )
    if kind is None:
        return None
    if kind is Kind.UNIQUE:
        return conflict(constraint_name(error.orig), "the write")
    if kind is Kind.READ_ONLY:
        return ReadOnlyError("a read-only unit of work tried to write")
    # The driver's COMMIT (no statement of ours) refused with a deadlock: Galera's certification.
    at_commit = error.statement is None
    if kind is Kind.DEADLOCK and at_commit and backend(dialect).deadlock_at_commit_is_certification:
        return CertificationConflictError(
            "certification failure at COMMIT: a concurrent transaction on another node of the Galera "
            "cluster wrote the same rows and won; nothing of this one was saved: retry the unit of work"
        )
    return _RETRYABLE[kind](f"{kind.value}: retry the unit of work")
