"""factory-boy integration: factories that write to the current test's session."""

from __future__ import annotations

from typing import Any

from factory.alchemy import SQLAlchemyModelFactory

from .. import _helpers
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
    """

    class Meta:  # pyright: ignore[reportIncompatibleVariableOverride]  # factory-boy consumes Meta
        abstract = True
        sqlalchemy_session_persistence = "flush"

    @classmethod
    def _create(cls, model_class: type[Any], *args: Any, **kwargs: Any) -> Any:
        session = current_session()
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
