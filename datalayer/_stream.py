"""stream(): every matching row through a server-side cursor, inside one transaction."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from sqlalchemy import Result, ScalarResult, event, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapper, Session, scoped_session
from sqlalchemy.orm.session import SessionTransactionState

from ._attributes import check_attributes
from ._backends import backend
from ._ownership import checked_mapper
from ._session_like import SessionLike
from ._views import open_rows, spec_of
from .errors import StreamInterruptedError, UsageError

__all__ = ["check_count", "check_stream", "stream"]

M = TypeVar("M")

_INVALID_CURSOR_NAME = "34000"  # PostgreSQL: the cursor went with its transaction
_ACTIVE = SessionTransactionState.ACTIVE


def stream(session: SessionLike, model: type[M], /, batch_size: int = 1000, **attrs: Any) -> Iterator[M]:
    """Every matching object, ordered by primary key, fetched ``batch_size`` rows at a time.

    A server-side cursor keeps memory flat however many rows there are: drop
    each object when done with it. The arguments are checked when called; the
    query runs when iteration starts, in the session's transaction, which must
    stay open until the loop ends: a commit, rollback or close in the middle
    raises :class:`StreamInterruptedError` at the next row (never an early,
    quiet end). Never commits. For a view, the views of those rows, read on the
    session's connection without loading objects (see :mod:`datalayer._views`).
    """
    spec = spec_of(model)
    mapper = checked_mapper(session, model if spec is None else spec.model)
    check_stream(mapper, batch_size, attrs)
    if spec is not None:
        return _rows(
            session, model, mapper, lambda owner: open_rows(owner, spec, attrs, batch_size), spec.make
        )
    statement = select(model).filter_by(**attrs).order_by(*mapper.primary_key)
    statement = statement.execution_options(yield_per=batch_size)
    return _rows(session, model, mapper, lambda owner: owner.scalars(statement), None)


Opened = Callable[[Session], "Result[Any] | ScalarResult[Any]"]


def _rows(
    session: SessionLike, model: type[M], mapper: Mapper[Any], opened: Opened, make: Callable[..., M] | None
) -> Iterator[M]:
    """The objects of the result ``opened`` gives, or for a view ``make(*row)`` of each row."""
    # The scoped proxy's current session, for good: remove() mid-loop closes that one.
    owner = session() if isinstance(session, scoped_session) else session
    with opened(owner) as result, _sole_statement(owner, model, mapper):
        transaction = owner.get_transaction()
        batches = result.partitions()  # the batch_size rows the driver holds at a time
        yielded = 0
        while True:
            # Rows already fetched would still come after the transaction ended, and
            # then MariaDB ends the cursor quietly: check before every row, and every batch.
            if transaction is None or not transaction.is_active or owner.get_transaction() is not transaction:
                raise StreamInterruptedError(model, yielded)
            try:
                batch = next(batches)
            except StopIteration:
                return
            except DBAPIError as exc:
                if _cursor_gone(exc):  # the transaction ended behind the session's back
                    raise StreamInterruptedError(model, yielded) from exc
                raise
            for obj in batch:
                # Only an active transaction is the session's current one: the test above, at C speed.
                if transaction._state is not _ACTIVE:  # pyright: ignore[reportPrivateUsage]
                    raise StreamInterruptedError(model, yielded)
                yielded += 1
                yield cast("M", obj) if make is None else make(*obj)


@contextmanager
def _sole_statement(session: Session, model: type[Any], mapper: Mapper[Any]) -> Generator[None, None, None]:
    """On MariaDB/MySQL, refuse any other statement on the connection while the stream reads.

    Their drivers read an unfinished result away before sending the next statement:
    a lazy load or a write inside the loop would end the stream quietly, rows lost.
    """
    connection = session.connection(bind_arguments={"mapper": mapper})
    if not backend(connection.dialect).stream_owns_connection:
        yield
        return

    def refuse(*_args: Any) -> None:
        raise UsageError(
            f"stream() of {model.__name__} is still reading on this connection, and the MariaDB/MySQL "
            "driver would drop its remaining rows to run another statement: finish the loop first "
            "(collect what to write, or load relationships eagerly), or walk the rows with page()"
        )

    event.listen(connection, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(connection, "before_cursor_execute", refuse)


def check_stream(mapper: Mapper[Any], batch_size: object, attrs: Mapping[str, Any]) -> None:
    """Check the arguments of a ``stream``, when it is called; shared by the in-memory fake."""
    check_count("batch_size", batch_size)
    check_attributes(mapper, attrs)


def check_count(name: str, value: object) -> None:
    """Refuse ``value`` unless it is an int (not a bool) of at least 1."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UsageError(f"{name} must be an int of at least 1, not {value!r}")


def _cursor_gone(exc: DBAPIError) -> bool:
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code == _INVALID_CURSOR_NAME
