"""Database: one engine, its declarative ``Model`` base, and its sessions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import URL, Connection, Engine, MetaData, Table, create_engine, select
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from . import _backends, _dialects, _ownership, _pooler, _urls
from ._model_base import NAMING_CONVENTION, new_model_class
from ._replicas import Router, routed
from ._url_parts import from_parts
from ._urls import DatabaseURL
from .errors import UsageError
from .session import ScopedSession, Session

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine
    from sqlalchemy.orm import registry

    from .testing import TestTransaction

__all__ = ["NAMING_CONVENTION", "Database"]


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

    ``replicas=[url, ...]`` (PostgreSQL or MariaDB streaming replicas of ``url``)
    sends read-only units of work to a healthy replica that has replayed every
    commit this process made, waiting at most ``replica_wait`` seconds, else to
    the primary; a replica lagging more than ``max_lag`` seconds is skipped. The
    engine options apply to every engine; ``db.engine`` stays the primary's.

    ``pooler="transaction"`` says PostgreSQL is reached through a pooler in
    transaction mode (PgBouncer): no prepared statement, no session setting outlives
    a transaction. Several addresses of one MariaDB primary (a Galera cluster) go in
    the URL, ``mysql+pymysql://user@/app?host=node1:3306&host=node2:3306``: each new
    connection tries them in turn, from the one that served last.

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
        replicas: Sequence[str | URL] = (),
        max_lag: float | None = None,
        replica_wait: float = 0.5,
        **more_engine_options: Any,
    ) -> None:
        parts = {
            "dialect": dialect,
            "name": name,
            "user": user,
            "password": password,
            "host": host,
            "port": port,
        }
        self.engine = set_up(
            self, url, parts, model_class, engine_options, more_engine_options, create_engine
        )
        options = merged_options(engine_options, more_engine_options)
        self.router: Router | None = routed(
            self.engine,
            replicas,
            lambda url: new_engine(self, url, options, create_engine),
            max_lag,
            replica_wait,
        )
        _ownership.own(self.metadata, self)
        self.Session = sessionmaker(**session_factory_options(self.engine, Session, session_options))
        self.s = ScopedSession(self.Session)

    def create_all(
        self,
        *,
        bind: Engine | Connection | None = None,
        tables: Sequence[Table] | None = None,
        checkfirst: bool = True,
    ) -> None:
        """Create every table of ``metadata`` (or of ``tables``) that does not exist yet.

        On the engine the DDL is committed at once; on a ``bind`` connection it
        is part of that connection's transaction (MariaDB commits DDL anyway).
        ``checkfirst=False`` skips the lookup, and fails on a table that exists.
        ``db.create_all(tables=[User.__table__])``
        """
        self.metadata.create_all(self.engine if bind is None else bind, tables=tables, checkfirst=checkfirst)

    def drop_all(
        self,
        *,
        bind: Engine | Connection | None = None,
        tables: Sequence[Table] | None = None,
        checkfirst: bool = True,
    ) -> None:
        """Drop every table of ``metadata`` (or of ``tables``) that exists; commits as :meth:`create_all`."""
        self.metadata.drop_all(self.engine if bind is None else bind, tables=tables, checkfirst=checkfirst)

    def test_transaction(self, savepoint: bool = False) -> TestTransaction:
        """sqla-wrapper's: this database's sessions on one connection, until ``close()`` rolls it back.

        In between, ``db.s``, ``db.Session()`` and every ``UnitOfWork`` join the
        connection's transaction through a SAVEPOINT: a commit releases it, a
        rollback returns to it. ``savepoint`` changes nothing; see
        :class:`~datalayer.testing.TestTransaction`.

        Example::

            tt = db.test_transaction()
            db.s.create(User, email="a@example.com")
            db.s.commit()  # releases a savepoint: the outer transaction stays open
            tt.close()  # rolled back: the table is as it was
        """
        # Imported when called: the test toolkit (and factory-boy) stays out of `import datalayer`,
        # and datalayer.testing, a layer above this module, imports it.
        from .testing import TestTransaction

        return TestTransaction(self, savepoint)

    @property
    def engines(self) -> list[Engine]:
        """The primary's engine, then each replica's."""
        return [self.engine, *(self.router.engines if self.router is not None else ())]

    def dispose(self) -> None:
        """Close the scoped session and every pooled connection, the replicas' too."""
        self.s.remove()
        for engine in self.engines:
            engine.dispose()

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
    return url if url is not None else from_parts(**parts)


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
    url: str | URL | None,
    parts: dict[str, Any],
    model_class: type[DeclarativeBase] | None,
    engine_options: Mapping[str, Any] | None,
    more_engine_options: Mapping[str, Any],
    create: Callable[..., E],
) -> E:
    """Give a Database or an AsyncDatabase its URL, model base and metadata; return its ``create``d engine.

    ``url`` or its ``parts`` (sqla-wrapper's ``dialect=``, ``name=``...); ``engine_options`` and the
    keyword arguments together.
    """
    database.url = _urls.DatabaseURL(connection_url(url, **parts))
    engine = new_engine(database, database.url, merged_options(engine_options, more_engine_options), create)
    database.Model = model_class if model_class is not None else new_model_class()
    database.registry = database.Model.registry
    database.metadata = database.Model.metadata
    return engine


def new_engine(database: object, url: str | URL, options: Mapping[str, Any], create: Callable[..., E]) -> E:
    """An engine of ``url`` for ``database`` (named in errors), datalayer's defaults under ``options``."""
    shown_url = _urls.DatabaseURL(url)
    pooler, chosen = options.get("pooler"), _pooler.engine_options(shown_url.drivername, options)
    try:
        engine = create(shown_url.to_url(), **_backends.engine_defaults(shown_url.drivername, chosen))
    except TypeError as error:  # create_engine() names the arguments it did not take
        if not str(error).startswith("Invalid argument(s)"):
            raise
        raise UsageError(
            f"{str(error).split(' sent to ')[0]} given to {type(database).__name__}(): not one of its "
            "own (url, dialect, name, user, password, host, port, engine_options, session_options, "
            "model_class, replicas, max_lag, replica_wait, pooler), nor an engine option of this dialect, "
            "driver and pool"
        ) from error
    _dialects.configure_engine(engine if isinstance(engine, Engine) else engine.sync_engine, pooler=pooler)
    return engine
