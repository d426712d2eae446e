"""Which Database a model belongs to: a model of another Database is refused before anything is sent.

Each :class:`~datalayer.Database` records, weakly, the ``MetaData`` of its model
base. A model whose tables are on a ``MetaData`` that Databases own, none of
them the one whose engine the session uses, belongs elsewhere: its tables are
not here, and a statement about them would fail (and abort a PostgreSQL
transaction). Metadata shared by several Databases (``model_class=Base``) is
theirs alike, and metadata that no Database owns (a registry of your own) is
accepted on any session.

An engine is known by its dialect object, which ``create_engine`` makes once per
engine and shares with the engine's connections and ``execution_options()``
copies. Verdicts that accept are kept per dialect and mapper, weakly, so the
check costs two dictionary lookups once a model has been used on an engine.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import MetaData, Table
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import Mapper

from ._mapping import mapper_of
from ._urls import shown
from .errors import ForeignModelError

if TYPE_CHECKING:
    from ._session_like import SessionLike


class _Engine(Protocol):
    @property
    def dialect(self) -> Dialect: ...


class Database(Protocol):
    """What this module needs of a :class:`~datalayer.Database` or an AsyncDatabase (which import it)."""

    @property
    def engine(self) -> _Engine: ...


__all__ = ["check_bind_owner", "check_owner", "checked_mapper", "epoch", "own"]

_owners: weakref.WeakKeyDictionary[MetaData, weakref.WeakSet[Database]] = weakref.WeakKeyDictionary()
_accepted: weakref.WeakKeyDictionary[Dialect, weakref.WeakSet[Mapper[Any]]] = weakref.WeakKeyDictionary()

epoch: int = 0
"""How many times :func:`own` forgot the verdicts: a verdict kept elsewhere holds while this is unchanged."""


def own(metadata: MetaData, database: Database) -> None:
    """Record that ``database`` owns ``metadata`` (for as long as both live)."""
    global epoch
    _owners.setdefault(metadata, weakref.WeakSet()).add(database)
    _accepted.clear()  # a model of unowned metadata may now belong elsewhere
    epoch += 1


def checked_mapper(session: SessionLike, model: object) -> Mapper[Any]:
    """The mapper of ``model``, once it is known to be mapped and to belong where ``session`` connects."""
    mapper = mapper_of(model)
    check_owner(session, mapper)
    return mapper


def check_owner(session: SessionLike, mapper: Mapper[Any]) -> None:
    """Refuse, with :class:`ForeignModelError`, a model of another Database than the session's."""
    try:
        bind = session.get_bind(mapper=mapper)
    except sa_exc.UnboundExecutionError:
        return  # no engine to compare with: SQLAlchemy says so when the session is used
    check_bind_owner(bind, mapper)


def check_bind_owner(bind: Engine | Connection, mapper: Mapper[Any]) -> None:
    """:func:`check_owner` for the engine (or connection) a session uses for ``mapper``."""
    dialect = bind.dialect
    accepted = _accepted.get(dialect)
    if accepted is not None and mapper in accepted:
        return
    owners = [
        database
        for table in mapper.tables
        if isinstance(table, Table)
        for database in _owners.get(table.metadata, ())
    ]
    if owners and all(dialect not in _dialects(database) for database in owners):
        named = ", ".join(sorted({repr(database) for database in owners}))
        raise ForeignModelError(mapper.class_, named, f"on {shown(bind.engine.url)}")
    _accepted.setdefault(dialect, weakref.WeakSet()).add(mapper)


def _dialects(database: Database) -> list[Dialect]:
    """The dialect of each engine of ``database``: its primary's, and its replicas' where it has any."""
    engines: list[_Engine] = getattr(database, "engines", None) or [database.engine]
    return [engine.dialect for engine in engines]
