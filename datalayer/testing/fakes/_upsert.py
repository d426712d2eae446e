"""upsert and upsert_many of the fake repository: the real ones' checks, run in memory."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from ..._upsert.plan import Plan
from ..._upsert.rows import checked_row, checked_rows
from ._rows import load
from ._views import FakeViewMethods

if TYPE_CHECKING:
    from sqlalchemy.orm import Mapper

    from ._store import FakeSession

__all__ = ["FakeUpsertMethods"]

M = TypeVar("M")


class FakeUpsertMethods(FakeViewMethods[M], Generic[M]):
    """The upsert methods of :class:`FakeRepository`, checked by the real ones' own checks."""

    session: FakeSession
    _mapper: Mapper[Any]

    def _objects(self) -> list[M]:
        raise NotImplementedError

    def upsert(self, *, match: str | Iterable[str], **values: Any) -> M:
        """Add ``Model(**values)``, or set the other values on the object holding the ``match`` key.

        Checked as the real ``upsert`` checks its arguments (``match`` a unique key
        of the model, among the values; columns only; lengths). A clash on another
        unique key raises ``ConflictError``, after which the unit must be rolled back.
        """
        self._refuse_writes("upsert")
        return self._upsert(*checked_row(self._mapper, values, match, "upsert"))

    def upsert_many(self, rows: Iterable[Mapping[str, Any]], *, match: str | Iterable[str]) -> list[M]:
        """:meth:`upsert` every row, all checked first as the real one checks them; the objects in order."""
        self._refuse_writes("upsert_many")
        plan, given = checked_rows(self._mapper, rows, match, "upsert_many")
        return [self._upsert(plan, row) for row in given]

    def _upsert(self, plan: Plan, row: dict[str, Any]) -> M:
        mapper = self._mapper
        for obj in self._objects():
            if all(getattr(obj, name) == row[name] for name in plan.match_attributes):
                self.session.update(mapper, obj, {name: row[name] for name in plan.update_attributes})
                return obj
        made = cast("M", load(mapper, row))  # built as a loaded row is, as the real upsert's object
        self.session.add(made)
        return made
