"""The ``with`` block of a unit of work, shared by the real unit and its in-memory fake."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

from .errors import ReadOnlyError, UsageError

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

    @property
    def session(self) -> S:
        """The unit's session; only available inside the ``with`` block."""
        if self._session is None:
            raise UsageError(f"{type(self).__name__} is not active: use it as `with unit as uow:`")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise UsageError(f"{type(self).__name__} is already active; open a new unit of work instead")
        session = self._open()
        try:
            self.__dict__.update(self._build_repositories(session))
        except BaseException:
            session.close()
            raise
        self._session = session
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session = self.session
        error, committing = exc, False
        try:
            if exc is not None or self.read_only:
                self.rollback()
            else:
                self._flush()  # a failure here comes before the COMMIT: nothing was saved
                committing = True
                self.commit()
        except BaseException as failure:
            error = failure
        finally:
            session.close()
            self._session = None
            for name in self._repository_names():
                self.__dict__.pop(name, None)
        if error is None:
            return
        translated = self._translate(error, committing=committing)
        if translated is not None:
            raise translated from error
        if error is not exc:
            raise error

    def commit(self) -> None:
        """Commit the work so far; the unit stays usable and opens a new transaction on demand."""
        if self.read_only:
            raise ReadOnlyError(f"{type(self).__name__} is read-only: it never commits")
        self.session.commit()

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
