"""Whether anything would hear a connection's statement, which the raw path would keep from hearing it.

The raw path sends a view's SELECT on the DBAPI connection itself, so SQLAlchemy's
statement events never fire for it. It is taken only when none would have been
heard: no ``before_execute``, ``after_execute`` or ``before_cursor_execute``
listener on the engine (the query counter of :mod:`datalayer.testing` is one), no
listener of the connection's own, no echo, no schema translation, and, on
``after_cursor_execute``, ``do_execute`` and ``handle_error``, none but those
:func:`ignores_selects` names (datalayer's own, which do nothing for a SELECT
built with SQLAlchemy's constructs and sent without execution options; a failure
goes through SQLAlchemy's error handling, which calls the ``handle_error`` ones).

The collections SQLAlchemy keeps an engine's listeners in are looked up once per
engine; each read then asks whether those that were empty still are, and whether
the others still hold the very listeners found ignorable: a few identity checks.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, NamedTuple

import attrs
from sqlalchemy.engine import Connection, Engine

__all__ = ["Sorted", "Watched", "heard", "ignores_selects", "watched"]

_IGNORES = "_datalayer_ignores_selects"  # set on a listener function, which then lives and dies alone
_UNHEARD = ("before_execute", "after_execute", "before_cursor_execute")
_KNOWN = ("after_cursor_execute",)
_DIALECT_KNOWN = ("do_execute", "handle_error")


def ignores_selects(listener: Callable[..., Any]) -> None:
    """Record that ``listener`` (an engine or dialect event of datalayer's) does nothing for a SELECT."""
    setattr(listener, _IGNORES, True)


class Sorted(NamedTuple):
    """An engine's collections as last found, every listener in them ignorable."""

    empty: tuple[Any, ...]
    held: tuple[tuple[Any, int, Any, tuple[Any, ...]], ...]
    """``(collection, length, first listener, listeners)`` of each collection that held ignored listeners."""


@attrs.define(eq=False)
class Watched:
    """One engine's listener collections (deques), and how they were last found."""

    engine: weakref.ReferenceType[Engine]
    collections: tuple[tuple[Any, bool], ...]
    """Every collection, and whether it may hold ignored listeners."""
    sorted: Sorted | None = None
    """None when a listener would hear the statement (replaced whole: a reader never sees half of it)."""


def watched(engine: Engine) -> Watched | None:
    """The collections to look at for ``engine``, or None when they cannot be told (always heard)."""
    try:
        dispatch: Any = engine.dispatch
        dialect_dispatch: Any = engine.dialect.dispatch
        found = [(c, False) for name in _UNHEARD for c in _collections(dispatch, name)]
        found += [(c, False) for name in _KNOWN for c in _collections(dispatch, name, parents=True)]
        found += [
            (c, False) for name in _DIALECT_KNOWN for c in _collections(dialect_dispatch, name, parents=True)
        ]
        found += [(c, True) for name in _KNOWN for c in _collections(dispatch, name, local=True)]
        found += [
            (c, True) for name in _DIALECT_KNOWN for c in _collections(dialect_dispatch, name, local=True)
        ]
    except AttributeError:  # another SQLAlchemy's event internals: take the path that hears everything
        return None
    watching = Watched(weakref.ref(engine), tuple(found))
    _sort(watching)
    return watching


def heard(connection: Connection, watching: Watched | None) -> bool:
    """Whether a statement sent on ``connection`` would be heard by a listener, logged, echoed or
    have its schema names translated (which SQLAlchemy's execution does)."""
    if (
        watching is None
        or connection._has_events  # pyright: ignore[reportPrivateUsage]  (listeners of its own)
        or connection._echo  # pyright: ignore[reportPrivateUsage]
        or "schema_translate_map" in connection._execution_options  # pyright: ignore[reportPrivateUsage]
    ):
        return True
    found = watching.sorted
    if found is not None and not any(found.empty):
        for collection, length, first, listeners in found.held:
            if len(collection) != length or (
                collection[0] is not first if length == 1 else tuple(collection) != listeners
            ):
                break
        else:
            return False
    return not _sort(watching)  # listeners came or went: look again


def _sort(watching: Watched) -> bool:
    """Sort the collections afresh; whether every listener is ignorable."""
    empty: list[Any] = []
    held: list[tuple[Any, int, Any, tuple[Any, ...]]] = []
    ignored = True
    for collection, known in watching.collections:
        listeners = tuple(collection)
        if not listeners:
            empty.append(collection)
        elif known and all(getattr(listener, _IGNORES, False) for listener in listeners):
            held.append((collection, len(listeners), listeners[0], listeners))
        else:
            ignored = False
    watching.sorted = Sorted(tuple(empty), tuple(held)) if ignored else None
    return ignored


def _collections(dispatch: Any, name: str, *, parents: bool = False, local: bool = False) -> list[Any]:
    """The deques holding ``dispatch``'s listeners of ``name``: the instance's (``local``), the class's
    (``parents``), or both; through every level of a joined dispatch (an engine with options)."""
    if hasattr(dispatch, "local") and hasattr(dispatch, "parent"):  # a joined dispatch
        return [
            *_collections(dispatch.local, name, parents=parents, local=local),
            *_collections(dispatch.parent, name, parents=parents, local=local),
        ]
    collection = getattr(dispatch, name).for_modify(dispatch)  # made now, so that it stays the one used
    both = not parents and not local
    found: list[Any] = []
    if local or both:
        found.append(collection.listeners)
    if parents or both:
        found.append(collection.parent_listeners)
    return found
