"""Database: one engine, its declarative ``Model`` base, and its sessions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, Connection, Engine, Table, create_engine, select
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from . import _urls
from ._database_setup import DatabaseSetup, merged_options, session_factory_options
from ._model_base import NAMING_CONVENTION
from ._replicas import Router, routed
from ._urls import DatabaseURL
from .session import ScopedSession, Session

if TYPE_CHECKING:
    from .testing import TestTransaction

__all__ = ["NAMING_CONVENTION", "Database"]


class Database(DatabaseSetup[Engine]):
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
        self._router: Router | None = None
        super().__init__(
            url,
            dialect=dialect,
            name=name,
            user=user,
            password=password,
            host=host,
            port=port,
            engine_options=engine_options,
            session_options=session_options,
            model_class=model_class,
            **more_engine_options,
        )
        options = merged_options(engine_options, more_engine_options)
        self._router = routed(
            self.engine,
            replicas,
            lambda replica: self._engine_of(DatabaseURL(replica), options),
            max_lag,
            replica_wait,
        )

    def _create_engine(self, url: URL, options: dict[str, Any]) -> Engine:
        return create_engine(url, **options)

    def _set_up_sessions(self, options: Mapping[str, Any] | None) -> None:
        self.Session = sessionmaker(**session_factory_options(self.engine, Session, options))
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
        return [self.engine, *(self._router.engines if self._router is not None else ())]

    def dispose(self) -> None:
        """Close the scoped session and every pooled connection, the replicas' too."""
        self.s.remove()
        for engine in self.engines:
            engine.dispose()

    def __repr__(self) -> str:
        return f"Database({_urls.shown(self.url)!r})"
