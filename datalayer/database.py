"""Database: one engine, its declarative ``Model`` base, and its sessions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, Connection, Engine, Table, create_engine, select
from sqlalchemy.orm import sessionmaker

from . import _urls
from ._database_setup import DatabaseSetup, session_factory_options
from ._model_base import NAMING_CONVENTION
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

    def dispose(self) -> None:
        """Close the scoped session and every pooled connection."""
        self.s.remove()
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({_urls.shown(self.url)!r})"
