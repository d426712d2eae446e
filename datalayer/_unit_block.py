"""The ``with`` block of a unit of work, shared by the real unit and its in-memory fake."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

from .errors import PartiallyCommittedError, ReadOnlyError, RetryableError, UsageError

__all__ = ["TransactionBlock"]


class _Transactional(Protocol):
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


S = TypeVar("S", bound=_Transactional)


class TransactionBlock(Generic[S]):
    """One session per ``with`` block: clean exit commits, an exception rolls back, the session always closes.

    Subclasses say how to open the session, which repositories to build on it,
    and which errors to translate as they leave the block.
    """

    _session: S | None = None
    _commits: int = 0
    _depth: int = 0
    read_only: bool = False
    """A read-only unit never commits: clean exit rolls back, and writes are refused."""

    def _open(self) -> S:
        raise NotImplementedError

    def _build_repositories(self, session: S) -> dict[str, Any]:
        """The repositories to set as attributes for the length of the block."""
        raise NotImplementedError

    def _repository_names(self) -> tuple[str, ...]:
        raise NotImplementedError

    def _flush(self) -> None:
        """Send pending changes before the COMMIT, so that their failures are known to come first."""

    def _translate(self, error: BaseException, *, committing: bool) -> BaseException | None:
        """The error to raise instead of ``error`` as it leaves the block, or None to let it go as is."""
        return None

    def _commit_session(self) -> None:
        self.session.commit()

    def _ended_by_a_statement(self) -> bool:
        """Whether a statement ended the current transaction by itself (an implicit COMMIT)."""
        return False

    @property
    def session(self) -> S:
        """The unit's session; only available inside the ``with`` block."""
        if self._session is None:
            raise UsageError(f"{self._name} is not active: use it as `{self._with} unit as uow:`")
        return self._session

    @property
    def active(self) -> bool:
        """Whether the block is open (its session too)."""
        return self._session is not None

    def attached_repositories(self) -> dict[str, Any]:
        """The repositories set as attributes of the open block, by name (none outside it)."""
        return {name: self.__dict__[name] for name in self._repository_names() if name in self.__dict__}

    @property
    def _name(self) -> str:
        """The unit's class name, for messages (an asyncio unit's, for the block it runs)."""
        return type(self).__name__

    _with = "with"
    """The statement that enters the block, for messages."""

    def _entrant(self) -> tuple[object, str]:
        """Who is entering the block, and what to call one: the thread (asyncio units: the task)."""
        return threading.get_ident(), "thread"

    def __enter__(self) -> Self:
        me, kind = self._entrant()
        # dict.setdefault is atomic: of two threads entering at once, one gets the unit.
        if self.__dict__.setdefault("_entry", me) != me:
            raise UsageError(
                f"{self._name} is active in another {kind}; open a unit of work per {kind} instead"
            )
        if self._session is not None:  # entered again by the code running inside it: join its transaction
            self._depth += 1
            return self
        try:
            session = self._open()
            try:
                self.__dict__.update(self._build_repositories(session))
            except BaseException:
                session.close()
                raise
        except BaseException:
            del self.__dict__["_entry"]
            raise
        self._session = session
        self._commits = 0
        self._depth = 0
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session = self.session
        if self._depth:
            self._leave_inner_block(exc)
            return
        error, partly = exc, False
        try:
            partly = self._commits > 0 or self._ended_by_a_statement()
            if exc is not None or self.read_only:
                self.rollback()
            else:
                self.commit()  # errors leave it translated
        except BaseException as failure:
            if exc is None:
                error = failure
            else:  # the caller's own error goes on as itself, never replaced by the cleanup's
                exc.add_note(f"datalayer: rolling the unit of work back failed too: {failure!r}")
        finally:
            session.close()
            self._session = None
            for name in self._repository_names():
                self.__dict__.pop(name, None)
            self.__dict__.pop("_entry", None)
        if error is not None:
            self._raise(error, exc, partly=partly)

    def _leave_inner_block(self, exc: BaseException | None) -> None:
        """End a ``with`` block entered inside the unit's own: the outermost block commits.

        An exception leaving it rolls the transaction back at once (the outer block
        could otherwise commit what the inner one left half done) and propagates.
        """
        self._depth -= 1
        if exc is None:
            return
        try:
            self.rollback()
        except BaseException as failure:
            exc.add_note(f"datalayer: rolling the unit of work back failed too: {failure!r}")

    def _raise(self, error: BaseException, exc: BaseException | None, *, partly: bool) -> None:
        translated = self._translate(error, committing=False) or error
        if partly and isinstance(translated, RetryableError):
            raise PartiallyCommittedError(
                f"{self._name} failed ({type(translated).__name__}) after part of "
                "its work was committed (by commit() inside the block, or by a statement that commits by "
                "itself, such as DDL on MariaDB): that part stays committed, the rest was rolled back. "
                "Not retried: running the unit again would repeat the committed part.",
                reason=translated,
            ) from error
        if partly:
            error.add_note("datalayer: part of this unit of work was committed before the error and stays so")
        if translated is not error:
            raise translated from error
        if error is not exc:
            raise error

    def commit(self) -> None:
        """Commit the work so far; the unit stays usable and opens a new transaction on demand.

        Errors are translated as at the end of the block: a connection lost during
        the COMMIT is :class:`~datalayer.errors.CommitUnknownError`. Once a commit
        went through, a later retryable failure of the unit is raised as
        :class:`~datalayer.errors.PartiallyCommittedError`, never retried.
        """
        if self.read_only:
            raise ReadOnlyError(f"{self._name} is read-only: it never commits")
        committing = False
        try:
            self._flush()  # a failure here comes before the COMMIT: nothing of the transaction was saved
            committing = True
            self._commit_session()
        except BaseException as error:
            translated = self._translate(error, committing=committing)
            if translated is not None:
                raise translated from error
            if committing and not isinstance(error, Exception):  # cancelled, interrupted
                error.add_note(
                    f"datalayer: {self._name} was interrupted during its COMMIT: the database may have "
                    "saved all of the transaction or none of it"
                )
            raise
        self._commits += 1

    def rollback(self) -> None:
        """Undo the work since the last commit; the unit stays usable."""
        self.session.rollback()

    if not TYPE_CHECKING:  # keep type checkers strict about attribute names

        def __getattr__(self, name: str) -> Any:
            # Only reached for missing attributes: explain declared repositories.
            if name != "_repository_names" and name in self._repository_names():
                raise AttributeError(
                    f"{type(self).__name__}.{name} exists only inside the `with` block", name=name, obj=self
                )
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self
            )
