"""factory-boy integration: factories that write to the current test's session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy.orm import Session
from sqlalchemy.util.concurrency import in_greenlet

from .. import _helpers
from .._bridge import call
from ..errors import UsageError
from ._current import commits, current_session

__all__ = ["ModelFactory"]


class ModelFactory(SQLAlchemyModelFactory):
    """Base of your factories: objects go to the running test's session, never one bound at import.

    Each created object is added and flushed (``sqlalchemy_session_persistence =
    "flush"``), inside the test's transaction that is rolled back at its end;
    under the ``committing_db`` fixture, it is committed instead. With
    ``sqlalchemy_get_or_create``, existing rows are found race-safely through
    :func:`first_or_create` semantics, never by rolling the session back.

    Example::

        class UserFactory(ModelFactory):
            class Meta:
                model = User

            email = factory.Sequence(lambda n: f"user{n}@example.com")

        def test_signup(db_session):
            user = UserFactory()
            assert db_session.get(User, user.id) is user

    In async tests (``async_db_session``, ``async_committing_db``) the same
    factories are awaited: ``await UserFactory.create_async()``.
    """

    class Meta:  # pyright: ignore[reportIncompatibleVariableOverride]  # factory-boy consumes Meta
        abstract = True
        sqlalchemy_session_persistence = "flush"

    @classmethod
    async def create_async(cls, **kwargs: Any) -> Any:
        """``create(**kwargs)``, awaited: the object is flushed into the async test's session.

        factory-boy runs as usual (sub-factories, related factories, post-generation
        hooks) inside SQLAlchemy's greenlet bridge, on the AsyncSession's
        ``sync_session``, so its flushes go through the async driver without
        blocking the event loop. The object is rolled back with the test
        (committed under ``async_committing_db``). Example::

            async def test_signup(async_db_session):
                user = await UserFactory.create_async(email="a@example.com")
                assert await async_db_session.get(User, user.id) is user
        """
        create = cast("Callable[..., Any]", cls.create)  # pyright: ignore[reportUnknownMemberType]  # untyped
        return await call(create, **kwargs)

    @classmethod
    async def create_batch_async(cls, size: int, **kwargs: Any) -> list[Any]:
        """``create_batch(size, **kwargs)``, awaited: :meth:`create_async` ``size`` times at once."""
        create_batch = cast("Callable[..., list[Any]]", cls.create_batch)  # pyright: ignore[reportUnknownMemberType]
        return await call(create_batch, size, **kwargs)

    @classmethod
    def _create(cls, model_class: type[Any], *args: Any, **kwargs: Any) -> Any:
        session = current_session()
        _require_the_bridge(cls, session)
        meta: Any = cls._meta  # SQLAlchemyOptions, typed as the base FactoryOptions
        key_fields: tuple[str, ...] = tuple(meta.sqlalchemy_get_or_create or ())
        if key_fields and not args:
            missing = [name for name in key_fields if name not in kwargs]
            if missing:
                raise ValueError(f"{cls.__name__}: sqlalchemy_get_or_create needs values for {missing}")
            found = _helpers.first(session, model_class, **{name: kwargs[name] for name in key_fields})
            if found is None:
                found = _helpers.create_or_first(session, model_class, **kwargs)
            cls._persist()
            return found
        obj = model_class(*args, **kwargs)
        session.add(obj)
        cls._persist()
        return obj

    @classmethod
    def _after_postgeneration(cls, instance: Any, create: bool, results: Any = None) -> None:
        if create:
            cls._persist()  # what post-generation hooks changed

    @classmethod
    def _persist(cls) -> None:
        session = current_session()
        meta: Any = cls._meta
        if commits() or meta.sqlalchemy_session_persistence == "commit":
            session.commit()
        elif meta.sqlalchemy_session_persistence == "flush":
            session.flush()


def _require_the_bridge(factory: type[Any], session: Session) -> None:
    """Refuse, before anything is added, a plain call writing to an AsyncSession: it must be awaited."""
    if session.get_bind().dialect.is_async and not in_greenlet():
        name = factory.__name__
        raise UsageError(
            f"{name} writes to an AsyncSession: in an async test, `await {name}.create_async(...)` "
            f"(or `await {name}.create_batch_async(n, ...)`)"
        )
