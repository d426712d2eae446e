"""The errors datalayer raises.

Data errors (a conflicting row, a missing row, a unit of work to retry) and usage
errors (a typo in an attribute name, a class that is not mapped) are kept apart:
``except DataError`` never catches a programming mistake, and every usage error is
also a ``TypeError`` so it reads as one.

Driver errors are recognised by their codes (SQLSTATE, SQLite extended result
codes, MariaDB error numbers), never by their message text (except PostgreSQL's
failures to connect, which carry no code: see ``_refusals``), and the original
exception is always chained as ``__cause__``.
"""

from __future__ import annotations

__all__ = [
    "CertificationConflictError",
    "CommitUnknownError",
    "ConcurrentUpdateError",
    "ConflictError",
    "ConnectionLostError",
    "DataError",
    "DatalayerError",
    "DeadlockError",
    "ForeignModelError",
    "LockTimeoutError",
    "MigrationError",
    "NotFoundError",
    "PartiallyCommittedError",
    "PoolTimeoutError",
    "ReadOnlyError",
    "RetryableError",
    "SerializationError",
    "StaleConflictError",
    "StreamInterruptedError",
    "TransactionAbortedError",
    "UnknownAttributeError",
    "UnmappedClassError",
    "UnsupportedAttributeError",
    "UsageError",
    "ValueTooLongError",
]


class DatalayerError(Exception):
    """Base class of every error datalayer raises."""


class UsageError(DatalayerError, TypeError):
    """The library was called the wrong way: a bug in the calling code, not in the data."""


class UnknownAttributeError(UsageError):
    """A filter or a constructor named an attribute the model does not map.

    The error is raised before anything is sent to the database, so the
    session's other pending work is untouched.
    """

    def __init__(self, model: type[object], attribute: str, suggestion: str | None = None) -> None:
        self.model = model
        self.attribute = attribute
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        super().__init__(f"{model.__name__} has no mapped attribute {attribute!r}{hint}")


class UnmappedClassError(UsageError):
    """A class (or another object) that is not mapped to a table was given as a model."""

    def __init__(self, obj: object) -> None:
        self.obj = obj
        what = obj.__name__ if isinstance(obj, type) else repr(obj)
        super().__init__(
            f"{what} is not a mapped class: subclass db.Model, or map it with "
            "db.registry.map_imperatively(cls, table)"
        )


class ReadOnlyError(UsageError):
    """A read-only unit of work tried to write. Nothing was written."""


class DataError(DatalayerError):
    """Base class of the errors about the data itself rather than the calling code."""


class ValueTooLongError(DataError, ValueError):
    """A string is longer than its column's ``String(length)``; refused before anything is sent.

    Databases differ here (PostgreSQL and MariaDB silently cut trailing spaces of an
    over-long value, SQLite stores it whole), so datalayer refuses it everywhere.
    """

    def __init__(self, model: type[object], attribute: str, length: int, given: int) -> None:
        self.model = model
        self.attribute = attribute
        name = f"{model.__name__}.{attribute}"
        super().__init__(f"{name} is too long: at most {length} characters, not {given}")


class NotFoundError(DataError, LookupError):
    """No row has the requested identity."""

    def __init__(self, model: type[object], ident: object) -> None:
        self.model = model
        self.ident = ident
        super().__init__(f"no {model.__name__} with primary key {ident!r}")


class ConflictError(DataError):
    """A unique constraint rejected the write.

    ``constraint`` is the constraint's name when the driver reports it, else None.
    """

    def __init__(self, message: str, constraint: str | None = None) -> None:
        self.constraint = constraint
        super().__init__(message)


class RetryableError(DataError):
    """The unit of work failed for a transient reason: run it again in a fresh transaction."""


class SerializationError(RetryableError):
    """The database could not serialize the transaction with concurrent ones (SQLSTATE 40001)."""


class DeadlockError(RetryableError):
    """The database broke a deadlock by aborting this transaction."""


class CertificationConflictError(DeadlockError):
    """A Galera cluster refused the transaction at COMMIT: a concurrent one on another node won certification.

    Galera checks each transaction against the others at COMMIT, cluster-wide; of two
    that wrote the same row (or unique key) on different nodes, the first to be
    ordered wins and the other fails here, with MariaDB's deadlock error (1213), though
    no lock was waited for. Nothing of the transaction was saved: retry the unit, which
    then sees the winner's row (:func:`datalayer.run` does it).

    .. versionadded:: 0.2
    """


class LockTimeoutError(RetryableError):
    """A lock was not granted in time (or SQLite's database stayed locked)."""


class ConcurrentUpdateError(RetryableError):
    """Another transaction changed or deleted the row since this one read it: the version check failed.

    Raised for a model mapped with a version counter (``version_id_col``), whose
    UPDATE or DELETE found the row's version changed, where SQLAlchemy raises
    ``StaleDataError``. The loser of the race retries the whole unit of work,
    reading the winner's row afresh (:func:`datalayer.run` does it).

    .. versionadded:: 0.2
    """


class ConnectionLostError(RetryableError):
    """The connection dropped before the unit of work committed: nothing of it was committed."""


class CommitUnknownError(DataError):
    """The connection dropped while the commit was in flight: it may or may not have been applied.

    Not retryable as such: check whether the work is there before running it again.
    """


class TransactionAbortedError(DataError):
    """The database rolled the transaction back, or marked it failed, before COMMIT: nothing of it is saved.

    A statement failed inside the transaction and the failure was caught (PostgreSQL
    then refuses everything up to the end of the transaction; InnoDB rolls the whole
    transaction back on a deadlock; SQLite on some errors), and the code went on to
    commit. Rather than report a COMMIT the database answered with a rollback, the
    commit raises this error, chained to the statement's failure when it is known.
    Not retryable as such: the code that caught the failure decided to go on.

    .. versionadded:: 0.2
    """


class PartiallyCommittedError(DataError):
    """A unit of work failed after part of its work was committed: that part stays, the rest is gone.

    Part of a unit is committed by an explicit ``uow.commit()``, or by a statement
    that ends the transaction by itself (DDL on MariaDB commits implicitly). Raised
    instead of a :class:`RetryableError`, and never retried by :func:`datalayer.run`:
    running the unit again would repeat the committed part. ``reason`` is the
    error the unit would otherwise have raised.

    .. versionadded:: 0.2
    """

    def __init__(self, message: str, reason: BaseException) -> None:
        self.reason = reason
        super().__init__(message)


class PoolTimeoutError(DatalayerError):
    """No pooled connection became free within the pool's timeout (``pool_timeout``)."""


class StaleConflictError(ConflictError, RetryableError):
    """``create_or_first`` hit an existing row that its transaction cannot see.

    This happens under REPEATABLE READ or SERIALIZABLE snapshots (the row was
    committed after the snapshot was taken) and when the row was deleted between
    the failed insert and the re-read. The transaction itself is intact, but the
    row cannot be returned from it: retry the whole unit of work.
    """


class StreamInterruptedError(UsageError):
    """The transaction that a ``stream()`` reads in ended before the stream did.

    A commit, a rollback, a failed flush or closing the session in the middle of
    the loop ends the server-side cursor with it: the rest of the rows cannot be
    read. Rather than ending as if every row had been seen, the stream raises this
    at the next row. Commit after the loop, or walk the rows with keyset
    ``page()`` and commit between pages. ``rows`` says how many rows were yielded.
    """

    def __init__(self, model: type[object], rows: int) -> None:
        self.model = model
        self.rows = rows
        super().__init__(
            f"the transaction ended while streaming {model.__name__} after {rows} rows, so the rest "
            "cannot be read: commit after the loop, or walk the rows with page() (keyset pagination) "
            "and commit between pages"
        )


class UnsupportedAttributeError(UsageError):
    """A mapped attribute was given where it cannot be used that way.

    For example a relationship or a hybrid property in a ``create_many`` row, a
    hybrid property without a setter as a constructor argument, or one without a
    SQL expression as a filter. Raised before anything is sent to the database,
    so the session's other pending work is untouched. Attributes: ``model``,
    ``attribute``.
    """

    def __init__(self, model: type[object], attribute: str, problem: str) -> None:
        self.model = model
        self.attribute = attribute
        super().__init__(f"{model.__name__}.{attribute} {problem}")


class ForeignModelError(UsageError):
    """A model of another Database was used through a session of this one; refused before anything is sent.

    Its tables live where that other Database connects, not here. Use a session
    of the model's own Database, or, for the same models on several databases,
    give each Database one shared base: ``Database(url, model_class=Base)``.
    """

    def __init__(self, model: type[object], owners: str, used: str) -> None:
        self.model = model
        super().__init__(
            f"{model.__name__} belongs to another Database ({owners}), not to the one of this session "
            f"({used}): use a session of its own Database, or share one model base between Databases "
            "with Database(url, model_class=Base)"
        )


class MigrationError(DatalayerError):
    """A migration could not be created, applied, undone or compared; the message says why and what to do.

    Raised by :class:`datalayer.migrations.Migrations` and ``Alembic`` for a
    missing migrations directory or revisions, an unknown target revision, a
    database whose revision the directory does not have (it is ahead of the
    code), several heads, or a lock that another process held for too long. An
    error of Alembic or of the database is chained as ``__cause__``.

    .. versionadded:: 0.2
    """
