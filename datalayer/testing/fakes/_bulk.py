"""create_many, stream and page of the fake repository: the real ones' checks, run in memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast, overload

from ..._bulk import page_cursor
from ..._bulk_rows import insert_rows
from ..._stream import check_stream
from ...errors import StreamInterruptedError
from ._rows import key_of, load, values_of
from ._views import FakeViewMethods

if TYPE_CHECKING:
    from sqlalchemy.orm import Mapper

    from ._store import FakeSession

__all__ = ["FakeBulkMethods"]

M = TypeVar("M")


class FakeBulkMethods(FakeViewMethods[M], Generic[M]):
    """The many-rows methods of :class:`FakeRepository`, checked by the real ones' own checks."""

    session: FakeSession
    _mapper: Mapper[Any]

    def _matching(self, attrs: dict[str, Any]) -> list[M]:
        raise NotImplementedError

    @overload
    def create_many(
        self, rows: Iterable[Mapping[str, Any]], *, returning: Literal[True] = True
    ) -> list[M]: ...
    @overload
    def create_many(self, rows: Iterable[Mapping[str, Any]], *, returning: Literal[False]) -> int: ...
    @overload
    def create_many(self, rows: Iterable[Mapping[str, Any]], *, returning: bool) -> list[M] | int: ...
    def create_many(self, rows: Iterable[Mapping[str, Any]], *, returning: bool = True) -> list[M] | int:
        """Insert every row, in the rows' order, or none; never commits.

        The rows are checked as the real ``create_many`` checks them (columns
        only: a relationship or a hybrid raises ``UnsupportedAttributeError``; a
        refusal names the row's index) before any is added, and the objects are
        built as loaded rows are, without ``__init__``. A duplicate unique key
        raises ``ConflictError``: the unit must then be rolled back, which drops
        every row of the call. ``returning=False`` returns the number of rows.
        """
        self._refuse_writes("create_many")
        created: list[M] = []
        for row in insert_rows(self._mapper, rows):
            obj = cast("M", load(self._mapper, row))
            self.session.add(obj)
            created.append(obj)
        return created if returning else len(created)

    def stream(self, batch_size: int = 1000, **attrs: Any) -> Iterator[M]:
        """Every matching object, by primary key; the arguments are checked when called.

        The objects are read when iteration starts (``batch_size`` changes nothing in memory).
        """
        check_stream(self._mapper, batch_size, attrs)
        return self._stream(attrs)

    def _stream(self, attrs: dict[str, Any]) -> Iterator[M]:
        # As the real stream: the rows come from one transaction, which must stay open.
        ended = self.session.transactions_ended
        for yielded, obj in enumerate(self._matching(attrs)):
            if self.session.transactions_ended != ended:
                raise StreamInterruptedError(self.model, yielded)
            yield self._shown((obj,))[0]

    def page(self, size: int, after: Any = None, **attrs: Any) -> list[M]:
        """Up to ``size`` matching objects whose primary key follows ``after`` (keyset pagination).

        ``after`` is the primary key of the last object of the previous page (a
        tuple for a composite key), checked against the key's column types as the
        real ``page`` checks it; None starts at the beginning.
        """
        cursor = page_cursor(self._mapper, size, after, attrs)
        found = self._matching(attrs)
        if cursor is not None:
            found = [obj for obj in found if key_of(self._mapper, values_of(self._mapper, obj)) > cursor]
        return self._shown(found[:size])
