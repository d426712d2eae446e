"""Database: one engine, its declarative ``Model`` base, and its sessions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import URL, Constraint, Engine, MetaData, Table, create_engine, make_url, select
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from . import _backends, _dialects, _ownership, _urls
from .session import ScopedSession, Session

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine
    from sqlalchemy.orm import registry

__all__ = ["Database"]


class Database:
    """An engine with its ``Model`` base, a ``Session`` factory and a thread-scoped ``s``.

    ``url`` is any SQLAlchemy URL; keyword arguments go to
    :func:`sqlalchemy.create_engine`. Dialects get safe defaults unless told
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

    url: URL
    Model: type[DeclarativeBase]
    registry: registry
    metadata: MetaData
    Session: sessionmaker[Session]
    s: ScopedSession
    select = staticmethod(select)

    def __init__(
        self,
        url: str | URL,
        *,
        model_class: type[DeclarativeBase] | None = None,
        **engine_options: Any,
    ) -> None:
        self.engine = set_up(self, url, model_class, engine_options, create_engine)
        _ownership.own(self.metadata, self)
        self.Session = sessionmaker(bind=self.engine, class_=Session)
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

    url: URL
    Model: type[DeclarativeBase]
    registry: registry
    metadata: MetaData


def set_up(
    database: _Modelled,
    url: str | URL,
    model_class: type[DeclarativeBase] | None,
    engine_options: dict[str, Any],
    create: Callable[..., E],
) -> E:
    """Give a Database or an AsyncDatabase its URL, model base and metadata; return its ``create``d engine."""
    database.url = make_url(url)
    engine = create(database.url, **_backends.engine_defaults(database.url.drivername, engine_options))
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
        """The declarative base of one Database, with its own registry and metadata."""

        metadata = MetaData(naming_convention=NAMING_CONVENTION)

    return Model
