"""The repositories a unit of work class declares as annotations, for the real unit and its fake."""

from __future__ import annotations

import inspect
import typing
import weakref
from typing import Any, TypeAlias, TypeVar, cast

from .errors import UsageError

__all__ = ["Declared", "declared_repositories"]

R = TypeVar("R")

Declared: TypeAlias = "tuple[tuple[str, type[R], type[Any] | None], ...]"
"""``(name, repository class, model or None)`` for each repository annotation."""

_cache: weakref.WeakKeyDictionary[type[Any], dict[type[Any], Declared[Any]]] = weakref.WeakKeyDictionary()


def declared_repositories(cls: type[Any], unit: type[Any], repository: type[R]) -> Declared[R]:
    """Each annotation of ``cls`` (and of its bases below ``unit``) naming a ``repository`` class.

    ``users: UserRepository`` gives ``("users", UserRepository, None)``,
    ``users: Repository[User]`` gives ``("users", Repository, User)``; an
    annotation of a subclass replaces its base's of the same name. Other
    annotations are left alone.
    """
    known = _cache.setdefault(cls, {})
    if repository in known:
        return cast("Declared[R]", known[repository])
    found: list[tuple[str, type[R], type[Any] | None]] = []
    for klass in reversed(cls.__mro__):
        if klass is unit or not issubclass(klass, unit):
            continue
        try:
            hints = inspect.get_annotations(klass, eval_str=True)
        except NameError as exc:
            raise UsageError(f"cannot resolve the annotations of {klass.__name__}: {exc}") from exc
        for name, hint in hints.items():
            origin = typing.get_origin(hint) or hint
            if isinstance(origin, type) and issubclass(origin, repository):
                args = typing.get_args(hint)
                model = args[0] if args and isinstance(args[0], type) else None
                found = [entry for entry in found if entry[0] != name]
                found.append((name, origin, model))
    known[repository] = result = tuple(found)
    return result
