"""UnitOfWork: one session, one transaction, committed or rolled back as a whole."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import SessionTransaction

from ._declared import Declared, declared_repositories
from ._guard import ends, refusal
from ._read_only import READ_ONLY
from ._replicas.unit import lost, read_bind, token_after, waited_for
from ._repository import Repository
from ._translate import translate
from ._unit_block import TransactionBlock
from .errors import ConnectionLostError, UsageError
from .session import Session

if TYPE_CHECKING:
    from .database import Database

__all__ = ["UnitOfWork"]

M = TypeVar("M")


class UnitOfWork(TransactionBlock[Session]):
    """Owns one session and its transaction for the length of a ``with`` block.

    Clean exit commits; an exception rolls back and propagates; either way the
    session is closed for good and its connection goes back to the pool. Driver
    errors leave the block as datalayer's own (:mod:`datalayer.errors`: conflict,
    serialization failure, deadlock, lock timeout, lost connection...), the
    original chained. With ``read_only=True`` the unit uses the database's
    read-only transaction mode, refuses to flush changes, and never commits.
    Repositories declared as annotations are built on the unit's session on entry.
    Objects stay readable after the block (the session does not expire them on
    commit).

    Example::

        class AppUnitOfWork(UnitOfWork):
            database = db
            users: UserRepository

        with AppUnitOfWork() as uow:
            user = uow.users.first_or_create(email="foo@example.com")
        # committed here
    """

    database: Database
    _engine: Engine | None = None  # the replica's a routed read-only unit runs on
    _token: str | None = None

    def __init__(
        self, database: Database | None = None, *, read_only: bool | None = None, token: str | None = None
    ) -> None:
        configure(self, database, read_only, "UnitOfWork(db)")
        self._token = waited_for(self.read_only, token)

    @property
    def token(self) -> str | None:
        """Where the primary stood after this unit committed, for a read-only unit elsewhere to wait for.

        Give it to ``UnitOfWork(read_only=True, token=...)`` in another process
        (a redirect after a POST: keep it in the session cookie): that unit reads
        on a replica only once the replica has replayed this commit. None when
        the Database has no replicas. Asks the primary once per access.

        Example::

            with AppUnitOfWork() as uow:
                uow.orders.create(ref="A-1")
            response.set_cookie("ryw", uow.token or "")
        """
        return token_after(self.database, getattr(self, "_commits", 0), type(self).__name__)

    def _open(self) -> Session:
        options = self._session_options()
        if self.read_only:
            self._engine = read_bind(self.database, self._token)
            if self._engine is not None:
                options["bind"] = self._engine
        return self.database.Session(**options)

    def _session_options(self) -> dict[str, Any]:
        """The options of the unit's session: its objects outlive commits, and it is known as the unit's."""
        info: dict[str, Any] = {_UNIT: self}
        if self.read_only:
            info[READ_ONLY] = True
        self._connections: list[tuple[dict[str, Any], int]] = []
        return {"expire_on_commit": False, "close_resets_only": False, "info": info}

    def _flush(self) -> None:
        self.session.flush()

    def _translate(self, error: BaseException, *, committing: bool) -> BaseException | None:
        translated = translate(error, self._dialect(), committing=committing)
        if isinstance(translated, ConnectionLostError) and self._engine is not None:
            lost(self.database, self._engine)  # a replica: the next units go elsewhere for a while
        return translated

    def _dialect(self) -> Dialect:
        return self.database.engine.dialect

    def _commit_session(self) -> None:
        session = self.session
        error = refusal(session.connection()) if session.in_transaction() else None
        if error is None:
            session.commit()
            return
        # Refused before SQLAlchemy's COMMIT (or RELEASE, inside the testing plugin's
        # isolation), so that the rollback ends the unit's part cleanly in both.
        try:
            session.rollback()
        except Exception as failure:
            error.add_note(f"datalayer: rolling the unit of work back failed too: {failure!r}")
        raise error

    def _ended_by_a_statement(self) -> bool:
        return any(ends(info) > seen for info, seen in self._connections)

    def _build_repositories(self, session: Session) -> dict[str, Any]:
        return {name: cls(session, model) for name, cls, model in _declared_repositories(type(self))}

    def _repository_names(self) -> tuple[str, ...]:
        return tuple(name for name, _, _ in _declared_repositories(type(self)))

    def repository(self, model: type[M]) -> Repository[M]:
        """A :class:`~repositories.Repository` of ``model`` on this unit's session."""
        return Repository(self.session, model)


class _Configurable(Protocol):
    read_only: bool
    database: Any


def configure(unit: _Configurable, database: object | None, read_only: bool | None, example: str) -> None:
    """Set a unit's database and mode from its arguments, or refuse a unit with no database at all."""
    if read_only is not None:
        unit.read_only = read_only
    if database is not None:
        unit.database = database
    elif getattr(type(unit), "database", None) is None:
        name = example.partition("(")[2].rstrip(")")
        raise UsageError(
            f"{type(unit).__name__} has no database: pass one, {example}, "
            f"or set `database = {name}` on the subclass"
        )


_UNIT = "datalayer_unit"
"""The ``Session.info`` key of the unit that owns a session."""


@event.listens_for(Session, "after_begin")
def _watch_connection(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    # Each transaction of the unit may run on another pooled connection: remember how many
    # transactions statements had ended on it, to tell later whether one ended ours.
    # (A SAVEPOINT begins on the connection already watched: once per transaction.)
    unit = session.info.get(_UNIT)
    if unit is not None and not transaction.nested:
        info = connection.info
        unit._connections.append((info, ends(info)))


@event.listens_for(Session, "after_commit")
def _count_commit(session: Session) -> None:
    # uow.commit(), uow.session.commit() and the exit's commit alike: the work is in.
    # SQLAlchemy also calls after_commit for a released SAVEPOINT (begin_nested, the
    # helpers' own): that commits nothing, and must never stop a retry.
    unit = session.info.get(_UNIT)
    if unit is not None and not session.in_nested_transaction():
        unit._commits += 1


def _declared_repositories(cls: type[UnitOfWork]) -> Declared[Repository[Any]]:
    """``(name, repository class, model or None)`` for each repository annotation of ``cls``."""
    return declared_repositories(cls, UnitOfWork, _REPOSITORY)


_REPOSITORY: type[Repository[Any]] = Repository
