"""Database: one engine, its declarative ``Model`` base, and its sessions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from sqlalchemy import URL, Constraint, Engine, MetaData, Table, create_engine, inspect, select
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from . import _backends, _dialects, _ownership, _urls
from ._attributes import check_attributes
from ._urls import DatabaseURL
from .errors import UsageError
from .session import ScopedSession, Session

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine
    from sqlalchemy.orm import registry

__all__ = ["Database"]


class Database:
    """An engine with its ``Model`` base, a ``Session`` factory and a thread-scoped ``s``.

    ``url`` is any SQLAlchemy URL; keyword arguments go to
    :func:`sqlalchemy.create_engine`. As sqla-wrapper's ``SQLAlchemy``, it also
    takes the URL in parts instead, ``Database(dialect="postgresql+psycopg",
    name="app", user=..., password=..., host=..., port=...)`` (SQLite unless told,
    host ``127.0.0.1``), and ``engine_options={...}`` for ``create_engine()``
    and ``session_options={...}`` for the ``Session`` factory. Dialects get safe defaults unless told
    otherwise: SQLite's driver is set up so SAVEPOINTs and rollbacks are real
    and foreign keys are enforced; MariaDB/MySQL connections use READ COMMITTED.

    Pass ``model_class`` to use a declarative base of your own (a type checker
    can see it, where ``db.Model`` is only known at run time to mypy).

    Example::

        db = Database("sqlite:///app.db")

        class User(db.Model):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(primary_key=True)
            email: Mapped[str] = mapped_column(String(120), unique=True)

        db.create_all()
        with db.Session() as dbs:
            dbs.create(User, email="foo@example.com")
            dbs.commit()
    """

    url: DatabaseURL
    Model: type[DeclarativeBase]
    registry: registry
    metadata: MetaData
    Session: sessionmaker[Session]
    s: ScopedSession
    select = staticmethod(select)

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        dialect: str | None = None,
        name: str | None = None,
        user: str | None = None,
        password: str | None = None,
        host: str | None = None,
        port: str | int | None = None,
        engine_options: Mapping[str, Any] | None = None,
        session_options: Mapping[str, Any] | None = None,
        model_class: type[DeclarativeBase] | None = None,
        **more_engine_options: Any,
    ) -> None:
        url = connection_url(
            url, dialect=dialect, name=name, user=user, password=password, host=host, port=port
        )
        options = merged_options(engine_options, more_engine_options)
        self.engine = set_up(self, url, model_class, options, create_engine)
        _ownership.own(self.metadata, self)
        self.Session = sessionmaker(**session_factory_options(self.engine, Session, session_options))
        self.s = ScopedSession(self.Session)

    def create_all(self) -> None:
        """Create every table of ``metadata`` that does not exist yet (commits its own DDL)."""
        self.metadata.create_all(self.engine)

    def drop_all(self) -> None:
        """Drop every table of ``metadata`` that exists (commits its own DDL)."""
        self.metadata.drop_all(self.engine)

    def dispose(self) -> None:
        """Close the scoped session and every pooled connection."""
        self.s.remove()
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({_urls.shown(self.url)!r})"


E = TypeVar("E", "Engine", "AsyncEngine")


class _Modelled(Protocol):
    """A Database or an AsyncDatabase, as :func:`set_up` fills it in."""

    url: DatabaseURL
    Model: type[DeclarativeBase]
    registry: registry
    metadata: MetaData


_SQLA_WRAPPER_ONLY = {
    "base_model_class": "pass model_class=, a whole declarative base (class Base(Mixin, DeclarativeBase))",
    "base_model_metaclass": "pass model_class=, a declarative base of your own",
}


def connection_url(url: str | URL | None, **parts: Any) -> str | URL:
    """``url``, or the URL sqla-wrapper built from ``dialect=``, ``name=``, ``user=``... (never both)."""
    given = [key for key, value in parts.items() if value is not None]
    if url is not None and given:
        raise UsageError(
            f"give either a url or its parts ({', '.join(f'{key}=' for key in given)}), not both"
        )
    return url if url is not None else _urls.from_parts(**parts)


def merged_options(options: Mapping[str, Any] | None, more: Mapping[str, Any]) -> dict[str, Any]:
    """``engine_options={...}`` (sqla-wrapper's way) and keyword arguments (datalayer's), as one dict."""
    for key, instead in _SQLA_WRAPPER_ONLY.items():
        if key in more:
            raise UsageError(f"{key}= is sqla-wrapper's: {instead}")
    twice = sorted(set(options or {}) & set(more))
    if twice:
        raise UsageError(f"{', '.join(twice)} given both in engine_options and as a keyword argument")
    return {**(options or {}), **more}


def session_factory_options(
    engine: Engine | AsyncEngine, base: type[Any], options: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The session factory's arguments: ``session_options`` over datalayer's (engine, Session class)."""
    chosen = {"bind": engine, "class_": base, **(options or {})}
    if not (isinstance(chosen["class_"], type) and issubclass(chosen["class_"], base)):
        raise UsageError(
            f"session_options class_={chosen['class_']!r} must be {base.__module__}.{base.__qualname__} "
            "or a subclass: the helpers and their guarantees are on it"
        )
    return chosen


def set_up(
    database: _Modelled,
    url: str | URL,
    model_class: type[DeclarativeBase] | None,
    engine_options: dict[str, Any],
    create: Callable[..., E],
) -> E:
    """Give a Database or an AsyncDatabase its URL, model base and metadata; return its ``create``d engine."""
    database.url = _urls.DatabaseURL(url)
    options = _backends.engine_defaults(database.url.drivername, engine_options)
    try:
        engine = create(database.url.to_url(), **options)
    except TypeError as error:  # create_engine() names the arguments it did not take
        if not str(error).startswith("Invalid argument(s)"):
            raise
        raise UsageError(
            f"{str(error).split(' sent to ')[0]} given to {type(database).__name__}(): not one of its "
            "own (url, dialect, name, user, password, host, port, engine_options, session_options, "
            "model_class), nor an engine option of this dialect, driver and pool"
        ) from error
    _dialects.configure_engine(engine if isinstance(engine, Engine) else engine.sync_engine)
    database.Model = model_class if model_class is not None else new_model_class()
    database.registry = database.Model.registry
    database.metadata = database.Model.metadata
    return engine


def _check_name(constraint: Constraint, _table: Table) -> str:
    """An unnamed check constraint's part of its name: its columns, else a hash of its SQL."""
    columns = [column.name for column in getattr(constraint, "columns", ())]
    if columns:  # a Boolean's or an Enum's
        return "_".join(columns)
    sql = str(getattr(constraint, "sqltext", ""))
    return hashlib.sha1(sql.encode()).hexdigest()[:8]


NAMING_CONVENTION: dict[str, Any] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(dl_check)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "dl_check": _check_name,
}
"""The names ``db.Model``'s unnamed constraints and indexes get, the same on every database and every run.

Migrations compare and drop constraints by name: a name the server makes up
(``users_email_key`` on PostgreSQL, ``email`` on MariaDB) differs between
databases. A name given explicitly is kept as given. An unnamed check constraint
is named after its columns (a Boolean's or an Enum's) or a hash of its SQL. A
``model_class`` of your own keeps its metadata as given.
"""


def new_model_class() -> type[DeclarativeBase]:
    class Model(DeclarativeBase):
        """The declarative base of one Database, with its own registry and metadata.

        It has sqla-wrapper's ``BaseModel`` conveniences: :meth:`fill` and a
        ``repr`` listing the columns. Neither runs unless called: loading,
        building and flushing objects are SQLAlchemy's own.
        """

        metadata = MetaData(naming_convention=NAMING_CONVENTION)

        def fill(self, **attrs: Any) -> Self:
            """Set several attributes at once; return the object.

            Each name is checked first, as ``create()`` checks its attributes:
            an unknown one raises :class:`~datalayer.errors.UnknownAttributeError`
            (one that cannot be set, :class:`~datalayer.errors.UnsupportedAttributeError`)
            and nothing is set.
            """
            check_attributes(inspect(type(self)), attrs, filters=False, builds=True)
            for name, value in attrs.items():
                setattr(self, name, value)
            return self

        def __repr__(self) -> str:
            return model_repr(self)

    return Model


_NOT_LOADED = "<not loaded>"


def model_repr(obj: object) -> str:
    """sqla-wrapper's ``repr``: ``<Post #<id(obj)>`` then `` name = value`` per column, one a line.

    Dates and times show as ISO 8601. Only what is loaded is shown: a column
    that is expired or deferred shows ``<not loaded>`` rather than being read,
    so a ``repr`` never sends SQL (nor fails on a detached or async object).
    """
    state = inspect(obj)
    lines = [f"<{type(obj).__name__} #{id(obj)}"]
    for key in state.mapper.columns.keys():  # noqa: SIM118 (iterating a ColumnCollection gives its columns)
        if key in state.dict:
            value = state.dict[key]
            shown = value.isoformat() if hasattr(value, "isoformat") else repr(value)
        else:  # never set (None, as sqla-wrapper showed it), or not loaded from its row
            shown = _NOT_LOADED if state.key is not None else "None"
        lines.append(f"\n {key} = {shown}")
    return "".join(lines) + ">"
