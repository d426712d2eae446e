"""Whether anything listens to the statements of a connection, which the raw path would keep from hearing them.

The raw path sends a view's SELECT on the DBAPI connection itself, so SQLAlchemy's
statement events never fire for it. It is taken only when none would have been
heard: no ``before_execute``, ``after_execute`` or ``before_cursor_execute``
listener on the engine (the query counter of :mod:`datalayer.testing` is one), no
listener of the connection's own, no echo, and, on ``after_cursor_execute``,
``do_execute`` and ``handle_error``, none but those :func:`ignores_selects` names
(datalayer's own, which do nothing for a SELECT built with SQLAlchemy's constructs
and sent without execution options; a failure goes through SQLAlchemy's error
handling, which calls the ``handle_error`` ones).

Listeners are looked up once per engine, as the collections SQLAlchemy keeps them
in; each read then only asks whether those collections are empty, which stays
true or false as listeners come and go.
"""

from __future__ import annotations

import collections
import weakref
from collections.abc import Callable, Collection
from typing import Any

import attrs
from sqlalchemy.engine import Connection, Engine

__all__ = ["Watched", "heard", "ignores_selects", "watched"]

_IGNORES = "_datalayer_ignores_selects"  # set on a listener function, which then lives and dies alone
_UNHEARD = ("before_execute", "after_execute", "before_cursor_execute")
_KNOWN = ("after_cursor_execute",)
_DIALECT_KNOWN = ("do_execute", "handle_error")


def ignores_selects(listener: Callable[..., Any]) -> None:
    """Record that ``listener`` (an engine or dialect event of datalayer's) does nothing for a plain SELECT."""
    setattr(listener, _IGNORES, True)


@attrs.define(eq=False)
class Watched:
    """The listener collections of one engine: those that must be empty, those that may hold ignored ones."""

    engine: weakref.ReferenceType[Engine]
    empty: tuple[Collection[Any], ...]
    known: list[Collection[Any]]
    seen: list[Collection[Any]] = attrs.field(factory=list[Collection[Any]])
    """Copies of ``known`` as last found to hold ignored listeners alone (lists of deques compare in C)."""


def watched(engine: Engine) -> Watched | None:
    """The collections to look at for ``engine``, or None when they cannot be told (always heard)."""
    try:
        dispatch: Any = engine.dispatch
        dialect_dispatch: Any = engine.dialect.dispatch
        empty = [c for name in _UNHEARD for c in _collections(dispatch, name)]
        empty += [c for name in _KNOWN for c in _collections(dispatch, name, parents=True)]
        empty += [c for name in _DIALECT_KNOWN for c in _collections(dialect_dispatch, name, parents=True)]
        known = [c for name in _KNOWN for c in _collections(dispatch, name, local=True)]
        known += [c for name in _DIALECT_KNOWN for c in _collections(dialect_dispatch, name, local=True)]
    except AttributeError:  # another SQLAlchemy's event internals: take the path that hears everything
        return None
    return Watched(weakref.ref(engine), tuple(empty), known)


def heard(connection: Connection, watching: Watched | None) -> bool:
    """Whether a statement sent on ``connection`` would be heard by a listener, logged, echoed or
    have its schema names translated (which SQLAlchemy's execution does)."""
    if (
        watching is None
        or connection._has_events  # pyright: ignore[reportPrivateUsage]  (listeners of its own)
        or connection._echo  # pyright: ignore[reportPrivateUsage]
        or any(watching.empty)
        or "schema_translate_map" in connection._execution_options  # pyright: ignore[reportPrivateUsage]
    ):
        return True
    if watching.known == watching.seen:
        return False
    if any(not getattr(listener, _IGNORES, False) for listeners in watching.known for listener in listeners):
        return True
    watching.seen = [collections.deque(listeners) for listeners in watching.known]
    return False


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
