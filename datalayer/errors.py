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
    "CommitUnknownError",
    "ConflictError",
    "ConnectionLostError",
    "DataError",
    "DatalayerError",
    "DeadlockError",
    "ForeignModelError",
    "LockTimeoutError",
    "NotFoundError",
    "PoolTimeoutError",
    "ReadOnlyError",
    "RetryableError",
    "SerializationError",
    "StaleConflictError",
    "UnknownAttributeError",
    "UnmappedClassError",
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


class LockTimeoutError(RetryableError):
    """A lock was not granted in time (or SQLite's database stayed locked)."""


class ConnectionLostError(RetryableError):
    """The connection dropped before the unit of work committed: nothing of it was committed."""


class CommitUnknownError(DataError):
    """The connection dropped while the commit was in flight: it may or may not have been applied.

    Not retryable as such: check whether the work is there before running it again.
    """


class PoolTimeoutError(DatalayerError):
    """No pooled connection became free within the pool's timeout (``pool_timeout``)."""


class StaleConflictError(ConflictError, RetryableError):
    """``create_or_first`` hit an existing row that its transaction cannot see.

    This happens under REPEATABLE READ or SERIALIZABLE snapshots (the row was
    committed after the snapshot was taken) and when the row was deleted between
    the failed insert and the re-read. The transaction itself is intact, but the
    row cannot be returned from it: retry the whole unit of work.
    """


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
