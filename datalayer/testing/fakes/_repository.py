"""FakeRepository[M]: the methods of Repository[M], in memory."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Generic, TypeVar, cast, get_args, get_origin

from ..._attributes import check_attributes, require_attributes
from ..._create_or_first.reread import uncovered
from ..._helpers import NO_IDENT, identity
from ..._mapping import mapper_of, primary_key_attributes
from ..._views import spec_of
from ...errors import NotFoundError, UsageError
from ._bulk import FakeBulkMethods
from ._rows import key_of, values_of
from ._store import FakeDatabase, FakeSession
from ._upsert import FakeUpsertMethods

__all__ = ["FakeRepository"]

M = TypeVar("M")


class FakeRepository(FakeBulkMethods[M], FakeUpsertMethods[M], Generic[M]):
    """An in-memory :class:`~repositories.Repository`: the same methods, on a :class:`FakeSession`.

    Writes go to the session's fake transaction, which its :class:`FakeUnitOfWork`
    commits or rolls back; made without a session, the repository has one of its
    own on a fresh :class:`FakeDatabase`, never committed. ``select()`` and
    ``scalars()`` cannot run in memory: write a custom query in Python on a subclass.
    Typed by a view (:func:`~datalayer.view`), it reads the model's objects as
    views and refuses every write, as ``Repository[View]`` does.

    Example::

        class FakeUserRepository(FakeRepository[User]):
            def by_domain(self, domain: str) -> list[User]:
                return [user for user in self.all() if user.email.endswith(domain)]

        users = FakeUserRepository()
        alice = users.create(email="alice@x.org")
        assert users.by_domain("@x.org") == [alice]
    """

    _model: ClassVar[type[Any] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            origin, args = get_origin(base), get_args(base)
            if isinstance(origin, type) and issubclass(origin, FakeRepository) and args:
                cls._model = args[0] if isinstance(args[0], type) else None
                return

    def __init__(self, model: type[M] | None = None, *, session: FakeSession | None = None) -> None:
        chosen = cast("type[M] | None", model if model is not None else self._model)
        if chosen is None:
            raise UsageError(
                f"{type(self).__name__} has no model: subclass FakeRepository[Model] or pass the model"
            )
        self._view = spec_of(chosen)
        self._mapper = mapper_of(chosen if self._view is None else self._view.model)
        self.model: type[M] = chosen
        self.session = session if session is not None else FakeSession(FakeDatabase())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model.__name__})"

    def get(self, ident: Any = NO_IDENT, /, **key: Any) -> M | None:
        """The object with this primary key (a value, a tuple or a dict of them, or by name), or None."""
        wanted = _key(primary_key_attributes(self._mapper), identity(self._mapper.class_, ident, key))
        found = [
            obj for obj in self._objects() if key_of(self._mapper, values_of(self._mapper, obj)) == wanted
        ]
        return next(iter(self._shown(found[:1])), None)

    def get_one(self, ident: Any = NO_IDENT, /, **key: Any) -> M:
        """:meth:`get`, but :class:`~datalayer.errors.NotFoundError` when there is no such object."""
        found = self.get(ident, **key)
        if found is None:
            raise NotFoundError(self.model, key or ident)
        return found

    def all(self, **attrs: Any) -> list[M]:
        """Every object whose attributes equal ``attrs``, ordered by primary key."""
        check_attributes(self._mapper, attrs)
        return self._shown(self._matching(attrs))

    def first(self, **attrs: Any) -> M | None:
        """The matching object with the lowest primary key, or None."""
        check_attributes(self._mapper, attrs)
        return next(iter(self._shown(self._matching(attrs)[:1])), None)

    def create(self, **attrs: Any) -> M:
        """Add ``Model(**attrs)`` to the fake transaction; a duplicate unique key raises ConflictError."""
        self._refuse_writes("create")
        check_attributes(self._mapper, attrs, filters=False, builds=True)
        obj = self.model(**attrs)
        self.session.add(obj)
        return obj

    def first_or_create(self, **attrs: Any) -> M:
        """:meth:`first` by ``attrs``, then :meth:`create_or_first` on a miss. Never commits."""
        self._refuse_writes("first_or_create")
        check_attributes(self._mapper, attrs, builds=True)
        require_attributes("first_or_create", self._mapper, attrs)
        found = next(iter(self._matching(attrs)), None)
        return found if found is not None else self._create_or_first(attrs)

    def create_or_first(self, **attrs: Any) -> M:
        """Create the object, or return the one holding its unique key; the rest of the work is kept.

        A conflict on a key that ``attrs`` do not cover raises ConflictError.
        """
        self._refuse_writes("create_or_first")
        check_attributes(self._mapper, attrs, filters=False, builds=True)
        require_attributes("create_or_first", self._mapper, attrs)
        return self._create_or_first(attrs)

    def count(self, **attrs: Any) -> int:
        """How many objects match ``attrs``."""
        return len(self.all(**attrs))

    def exists(self, **attrs: Any) -> bool:
        """Whether any object matches ``attrs``."""
        return bool(self.all(**attrs))

    def add(self, obj: M) -> M:
        """Add ``obj`` (built by the caller) to the fake transaction; a duplicate key raises ConflictError."""
        self._refuse_writes("add")
        self.session.add(obj)
        return obj

    def delete(self, obj: M) -> None:
        """Delete ``obj`` in the fake transaction; never commits."""
        self._refuse_writes("delete")
        self.session.delete(obj)

    def _objects(self) -> list[M]:
        return cast("list[M]", self.session.objects(self._mapper))

    def _matching(self, attrs: dict[str, Any]) -> list[M]:
        return [obj for obj in self._objects() if all(getattr(obj, k) == v for k, v in attrs.items())]

    def _create_or_first(self, attrs: dict[str, Any]) -> M:
        obj = self.model(**attrs)
        clashes = self.session.try_add(self._mapper, obj)
        if not clashes:
            return obj
        for key, holder in clashes:
            if set(key.attributes) <= attrs.keys():
                return cast("M", holder)
        raise uncovered(self.model, attrs, clashes[0][0].name)


def _key(names: tuple[str, ...], ident: object) -> tuple[Any, ...]:
    if isinstance(ident, dict):
        return tuple(cast("dict[str, Any]", ident).get(name) for name in names)
    return tuple(cast("Iterable[Any]", ident)) if isinstance(ident, tuple) else (ident,)
