"""Repository[M]: the session helpers, typed for one model."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import starmap
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Literal,
    TypeVar,
    cast,
    get_args,
    get_origin,
    overload,
)

from sqlalchemy import select

from . import _bulk, _helpers, _upsert
from ._mapping import mapper_of
from ._ownership import checked_mapper
from ._views import columns, read_only, spec_of
from ._views import get as view_get
from .errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from sqlalchemy import Select

    from ._session_like import SessionLike

__all__ = ["Repository", "chosen_model", "model_argument"]

M = TypeVar("M")


class Repository(Generic[M]):
    """The data access of one model, over one session.

    The model comes from the type argument; the session is whatever the caller
    (usually a :class:`~datalayer.UnitOfWork`) owns. Write methods flush, never
    commit. A read model declared with :func:`~datalayer.view` works as the type
    argument too: ``Repository[UserRow]`` reads views (not tracked by the
    session), and refuses every write with a :class:`~datalayer.errors.UsageError`.

    Example::

        class UserRepository(Repository[User]):
            def by_email(self, email: str) -> User | None:
                return self.first(email=email)

        users = UserRepository(session)
        user = users.first_or_create(email="foo@example.com")
    """

    _model: ClassVar[type[Any] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._model = model_argument(cls, Repository) or cls._model

    def __init__(self, session: SessionLike, model: type[M] | None = None) -> None:
        chosen = chosen_model(self, Repository, model)
        self._view = spec_of(chosen)
        checked_mapper(session, chosen if self._view is None else self._view.model)
        self.model: type[M] = chosen
        self.session = session

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model.__name__})"

    def get(self, ident: Any = _helpers.NO_IDENT, /, **key: Any) -> M | None:
        """The object with this primary key (from the identity map when loaded), or None.

        Give the key positionally, ``get(5)`` (a tuple for a composite key), or by
        name, ``get(sku="RED-CHAIR")``.
        """
        spec = self._view
        if spec is not None:
            return view_get(self.session, spec, _helpers.identity(spec.model, ident, key))  # type: ignore[no-any-return]
        return self.session.get(self.model, _helpers.identity(self.model, ident, key))

    def get_one(self, ident: Any = _helpers.NO_IDENT, /, **key: Any) -> M:
        """:meth:`get`, but :class:`~datalayer.errors.NotFoundError` when there is no such object."""
        found = self.get(ident, **key)
        if found is None:
            raise NotFoundError(self.model, key or ident)
        return found

    def all(self, **attrs: Any) -> list[M]:
        """Every object whose attributes equal ``attrs``, ordered by primary key."""
        return _helpers.find_all(self.session, self.model, **attrs)

    def first(self, **attrs: Any) -> M | None:
        """The matching object with the lowest primary key, or None."""
        return _helpers.first(self.session, self.model, **attrs)

    def create(self, **attrs: Any) -> M:
        """Add a new object built from ``attrs`` and flush; never commits."""
        self._refuse_writes("create")
        return _helpers.create(self.session, self.model, **attrs)

    def first_or_create(self, **attrs: Any) -> M:
        """The first matching object, created race-safely if there is none. Flushes, never commits."""
        self._refuse_writes("first_or_create")
        return _helpers.first_or_create(self.session, self.model, **attrs)

    def create_or_first(self, **attrs: Any) -> M:
        """Create the object, or return the row already holding its unique key.

        A conflict undoes only this insert: the rest of the transaction is kept.
        Flushes, never commits.
        """
        self._refuse_writes("create_or_first")
        return _helpers.create_or_first(self.session, self.model, **attrs)

    @overload
    def create_many(
        self, rows: Iterable[Mapping[str, Any]], *, returning: Literal[True] = True
    ) -> list[M]: ...
    @overload
    def create_many(self, rows: Iterable[Mapping[str, Any]], *, returning: Literal[False]) -> int: ...
    @overload
    def create_many(self, rows: Iterable[Mapping[str, Any]], *, returning: bool) -> list[M] | int: ...
    def create_many(self, rows: Iterable[Mapping[str, Any]], *, returning: bool = True) -> list[M] | int:
        """Insert every row; the objects in the rows' order, or with ``returning=False`` their number.

        :meth:`datalayer.Session.create_many` for this model: flushes, never commits;
        a failure in the database leaves the session to be rolled back. Example::

            loaded = users.create_many(rows, returning=False)  # COPY on PostgreSQL
        """
        self._refuse_writes("create_many")
        return _bulk.create_many(self.session, self.model, rows, returning=returning)

    def upsert(self, *, match: str | Iterable[str], **values: Any) -> M:
        """Insert the row, or update the one holding the ``match`` key with the other values: one statement.

        Returns the object as stored, in the identity map (an object already
        loaded gets the stored values). Flushes pending work first, never
        commits; a row holding another unique value raises ConflictError.

        Example::

            user = users.upsert(match=("email",), email="ann@example.com", name="Ann")
        """
        self._refuse_writes("upsert")
        return _upsert.upsert(self.session, self.model, match=match, **values)

    def upsert_many(self, rows: Iterable[Mapping[str, Any]], *, match: str | Iterable[str]) -> list[M]:
        """:meth:`upsert` every row, a statement per batch; the objects in the rows' order. Never commits.

        Example::

            made = users.upsert_many([{"email": "a@x.org", "name": "A"}], match="email")
        """
        self._refuse_writes("upsert_many")
        return _upsert.upsert_many(self.session, self.model, rows, match=match)

    def stream(self, batch_size: int = 1000, **attrs: Any) -> Iterator[M]:
        """Every matching object by primary key, fetched ``batch_size`` rows at a time (flat memory)."""
        return _bulk.stream(self.session, self.model, batch_size=batch_size, **attrs)

    def page(self, size: int, after: Any = None, **attrs: Any) -> list[M]:
        """Up to ``size`` matching objects whose primary key follows ``after`` (keyset pagination)."""
        return _bulk.page(self.session, self.model, size=size, after=after, **attrs)

    def count(self, **attrs: Any) -> int:
        """How many objects match ``attrs``."""
        return _helpers.count(self.session, self.model, **attrs)

    def exists(self, **attrs: Any) -> bool:
        """Whether any object matches ``attrs``."""
        return _helpers.exists(self.session, self.model, **attrs)

    def add(self, obj: M) -> M:
        """Add ``obj`` (built by the caller) and flush; never commits.

        A unique violation raises :class:`~datalayer.errors.ConflictError`.
        """
        self._refuse_writes("add")
        self.session.add(obj)
        _helpers.flush(self.session, mapper_of(self.model))
        return obj

    def delete(self, obj: M) -> None:
        """Delete ``obj`` and flush; never commits."""
        self._refuse_writes("delete")
        self.session.delete(obj)
        self.session.flush()

    def select(self) -> Select[M]:
        """``select(Model)``, to refine with ``.where()``, ``.order_by()``... and run with :meth:`scalars`.

        For a view, a SELECT of its fields' columns, which :meth:`scalars` builds views from.
        """
        if self._view is not None:
            return columns(self._view)
        return select(self.model)

    def scalars(self, statement: Select[M]) -> list[M]:
        """Run a ``select()`` of the model and return its objects (views, for a view's repository)."""
        if self._view is not None:
            return list(starmap(self._view.make, self.session.execute(statement)))
        return list(self.session.scalars(statement))

    def _refuse_writes(self, method: str) -> None:
        if self._view is not None:
            raise read_only(self, method, self._view)


def model_argument(cls: type[Any], generic: type[Any]) -> type[Any] | None:
    """The model ``cls`` gives its generic base: ``Model`` for ``class Users(Repository[Model])``."""
    for base in cls.__dict__.get("__orig_bases__", ()):
        origin = get_origin(base)
        args = get_args(base)
        if isinstance(origin, type) and issubclass(origin, generic) and args and isinstance(args[0], type):
            return args[0]
    return None


def chosen_model(repository: Any, generic: type[Any], model: type[M] | None) -> type[M]:
    """``model``, or the one the repository's class declares; a UsageError naming the class if neither."""
    chosen = cast("type[M] | None", model if model is not None else repository._model)
    if chosen is None:
        name, base = type(repository).__name__, generic.__name__
        raise UsageError(f"{name} has no model: subclass {base}[Model] or pass model=Model")
    return chosen
