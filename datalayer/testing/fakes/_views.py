"""Fake repositories of a view: the model's objects in memory, shown as views; every write refused."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from ..._views import ViewSpec, read_only

__all__ = ["FakeViewMethods"]

M = TypeVar("M")


class FakeViewMethods(Generic[M]):
    """What a :class:`FakeRepository` of a view (``_view``) does differently: a model's reads it shows.

    The view of an object is built from the object's attributes, as the real one
    is from its row; the fake session keeps no view, so nothing shown is tracked.
    """

    model: type[M]
    _view: ViewSpec | None = None

    def _refuse_writes(self, method: str) -> None:
        if self._view is not None:
            raise read_only(self, method, self._view)

    def _shown(self, objects: Iterable[Any]) -> list[M]:
        """``objects`` (the model's), or their views in a repository of a view."""
        spec = self._view
        if spec is None:
            return list(objects)
        return [spec.make(*(getattr(obj, name) for name in spec.fields)) for obj in objects]
