"""sqla-wrapper's ``db.test_transaction()``: :func:`~datalayer.testing.isolated`, held until ``close()``."""

from __future__ import annotations

from contextlib import ExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Self

from .isolation import isolated

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from ..database import Database
    from ..session import Session

__all__ = ["TestTransaction"]


class TestTransaction:
    """A database's sessions on one connection whose outer transaction :meth:`close` rolls back.

    What ``db.test_transaction()`` returns: :func:`~datalayer.testing.isolated`
    entered now and left by ``close()`` (or at the end of a ``with`` block), for
    a fixture's setup and teardown or a ``unittest`` ``setUp``/``tearDown``.
    Until then ``db.s``, ``db.Session()`` and every ``UnitOfWork`` of the
    database join that transaction through a SAVEPOINT: a commit releases it, a
    rollback returns to it, and nothing outlives ``close()``. ``connection`` is
    the connection; ``session`` is ``db.s``'s session, made on it.

    ``savepoint`` is sqla-wrapper's argument and changes nothing: sessions always
    join through a SAVEPOINT (all of datalayer's databases have real ones).
    Without one, a rollback in the code under test ended the test's transaction
    and what the test did next was committed for real.

    Example::

        tt = db.test_transaction()
        db.s.create(User, email="a@example.com")
        db.s.commit()  # releases a savepoint: the outer transaction stays open
        tt.close()  # rolled back: the table is as it was
    """

    __test__ = False  # a class pytest must not collect, whatever its name says

    connection: Connection
    session: Session
    savepoint: bool

    def __init__(self, database: Database, savepoint: bool = False) -> None:
        self.savepoint = savepoint
        self._undo = ExitStack()
        self.connection = self._undo.enter_context(isolated(database))
        self.session = database.s()

    def close(self) -> None:
        """Close the sessions, roll back the outer transaction and return the connection; idempotent."""
        self._undo.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
