"""The session: SQLAlchemy's, with sqla-wrapper's helpers as methods.

Every helper flushes and never commits: committing stays with whoever owns the
transaction (a :class:`~datalayer.UnitOfWork`, or the code that opened the session).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypedDict, TypeVar, Unpack, overload

from sqlalchemy import event, orm
from sqlalchemy.orm.interfaces import ORMOption
from sqlalchemy.sql.selectable import ForUpdateParameter

from . import _bulk, _flush_checks, _helpers, _read_only, _upsert
from ._views import get as view_get
from ._views import spec_of
from .errors import UsageError

__all__ = ["ScopedSession", "Session"]

M = TypeVar("M")


class GetOptions(TypedDict, total=False):
    """The keyword options of SQLAlchemy's ``Session.get``, passed on as given."""

    options: Sequence[ORMOption] | None
    populate_existing: bool | None
    with_for_update: ForUpdateParameter
    identity_token: Any
    execution_options: Mapping[str, Any]
    bind_arguments: dict[str, Any] | None


class Session(orm.Session):
    """A :class:`sqlalchemy.orm.Session` with the helpers.

    Example::

        with db.Session() as dbs:
            user = dbs.first_or_create(User, email="foo@example.com")
            dbs.commit()
    """

    def all(self, model: type[M], /, **attrs: Any) -> list[M]:
        """Every ``model`` object whose attributes equal ``attrs``, ordered by primary key.

        ``model`` may be a read model (:func:`~datalayer.view`): its objects are
        built straight from the rows, not tracked. Autoflushes, never commits.
        """
        return _helpers.find_all(self, model, **attrs)

    def create(self, model: type[M], /, **attrs: Any) -> M:
        """Add ``model(**attrs)`` and flush; never commits.

        ``dbs.create(User, email="foo@example.com")``
        """
        return _helpers.create(self, model, **attrs)

    def get(  # pyright: ignore[reportIncompatibleMethodOverride]
        self, entity: type[M] | orm.Mapper[M], ident: Any, **options: Unpack[GetOptions]
    ) -> M | None:
        """SQLAlchemy's ``get``; for a view (:func:`~datalayer.view`), the view of the row with this key.

        A model's object comes from the identity map when loaded, as SQLAlchemy
        does, with all of its options. A view is read from the database (after
        the autoflush), never tracked, and takes no options. Never commits.

        ``row = dbs.get(UserRow, 5)  # UserRow | None``
        """
        spec = spec_of(entity)
        if spec is None:
            return super().get(entity, ident, **options)
        if options and any(options.values()):  # the scoped session and AsyncSession pass their defaults
            given = ", ".join(sorted(name for name, value in options.items() if value))
            raise UsageError(f"get() of the view {spec.cls.__name__} takes no options, not {given}")
        return view_get(self, spec, ident)  # type: ignore[no-any-return]

    def first(self, model: type[M], /, **attrs: Any) -> M | None:
        """The matching object with the lowest primary key, or None (a view's, for a view).

        ``row = dbs.first(UserRow, email="foo@example.com")  # UserRow | None``
        """
        return _helpers.first(self, model, **attrs)

    def first_or_create(self, model: type[M], /, **attrs: Any) -> M:
        """The first matching object, created (race-safely) if there is none. Flushes, never commits."""
        return _helpers.first_or_create(self, model, **attrs)

    def create_or_first(self, model: type[M], /, **attrs: Any) -> M:
        """Create the object; if a unique key already holds it, return that row instead.

        A conflict undoes only this insert (a SAVEPOINT): the rest of the
        transaction is kept. Flushes, never commits.
        """
        return _helpers.create_or_first(self, model, **attrs)

    @overload
    def create_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: Literal[True] = True
    ) -> list[M]: ...
    @overload
    def create_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: Literal[False]
    ) -> int: ...
    @overload
    def create_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: bool
    ) -> list[M] | int: ...
    def create_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: bool = True
    ) -> list[M] | int:
        """Insert every row; the objects in the rows' order, or with ``returning=False`` their number.

        ``returning=True`` sends batched ``INSERT .. RETURNING`` statements and puts the
        objects in the identity map. ``returning=False`` loads none, at the driver's
        speed: COPY on PostgreSQL with psycopg, batched INSERTs elsewhere. Flushes
        pending work first, never commits. A bad row is refused before anything is
        sent, naming its index; a failure in the database (a unique violation raises
        :class:`~datalayer.errors.ConflictError`) rolls the transaction back, and the
        session refuses work until ``rollback()``, as after a failed flush. Example::

            count = dbs.create_many(Event, rows, returning=False)  # an int
            dbs.commit()
        """
        return _bulk.create_many(self, model, rows, returning=returning)

    def upsert(self, model: type[M], /, *, match: str | Iterable[str], **values: Any) -> M:
        """Insert the row, or update the one holding the ``match`` key with the other values: one statement.

        ``match`` names a unique key (primary key, unique constraint or index);
        its values are among ``values``. Returns the object as stored, in the
        identity map (an object already loaded gets the stored values). Flushes
        pending work first, never commits. A row holding another unique value is
        never updated: :class:`~datalayer.errors.ConflictError`, and the session
        must be rolled back.

        Example::

            user = dbs.upsert(User, match=("email",), email="ann@example.com", name="Ann")
            dbs.commit()
        """
        return _upsert.upsert(self, model, match=match, **values)

    def upsert_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, match: str | Iterable[str]
    ) -> list[M]:
        """:meth:`upsert` every row, a statement per batch; the objects in the rows' order. Never commits.

        Every row gives the same attributes, and no match key twice.

        Example::

            users = dbs.upsert_many(User, [{"email": "a@x.org", "name": "A"}], match=("email",))
        """
        return _upsert.upsert_many(self, model, rows, match=match)


# On datalayer's Session only: other SQLAlchemy sessions in the process are left alone.
event.listen(Session, "before_flush", _flush_checks.check_flush)
_read_only.listen(Session)


class ScopedSession(orm.scoped_session[Session]):
    """A thread-scoped :class:`Session` proxy: ``db.s``.

    Every :class:`Session` method, helpers included, runs on the current thread's
    session; ``db.s.remove()`` closes it (call it at the end of each request).
    """

    def all(self, model: type[M], /, **attrs: Any) -> list[M]:
        """:meth:`Session.all` on the current thread's session."""
        return self.registry().all(model, **attrs)

    def create(self, model: type[M], /, **attrs: Any) -> M:
        """:meth:`Session.create` on the current thread's session. Flushes, never commits."""
        return self.registry().create(model, **attrs)

    def first(self, model: type[M], /, **attrs: Any) -> M | None:
        """:meth:`Session.first` on the current thread's session."""
        return self.registry().first(model, **attrs)

    def first_or_create(self, model: type[M], /, **attrs: Any) -> M:
        """:meth:`Session.first_or_create` on the current thread's session. Flushes, never commits."""
        return self.registry().first_or_create(model, **attrs)

    def create_or_first(self, model: type[M], /, **attrs: Any) -> M:
        """:meth:`Session.create_or_first` on the current thread's session. Flushes, never commits."""
        return self.registry().create_or_first(model, **attrs)

    @overload
    def create_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: Literal[True] = True
    ) -> list[M]: ...
    @overload
    def create_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: Literal[False]
    ) -> int: ...
    @overload
    def create_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: bool
    ) -> list[M] | int: ...
    def create_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: bool = True
    ) -> list[M] | int:
        """:meth:`Session.create_many` on the current thread's session. Flushes, never commits."""
        return self.registry().create_many(model, rows, returning=returning)

    def upsert(self, model: type[M], /, *, match: str | Iterable[str], **values: Any) -> M:
        """:meth:`Session.upsert` on the current thread's session. Flushes, never commits."""
        return self.registry().upsert(model, match=match, **values)

    def upsert_many(
        self, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, match: str | Iterable[str]
    ) -> list[M]:
        """:meth:`Session.upsert_many` on the current thread's session. Flushes, never commits."""
        return self.registry().upsert_many(model, rows, match=match)
