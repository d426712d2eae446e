"""What Database and AsyncDatabase share: their arguments, the URL, the engine and the model base."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import URL, Engine, MetaData
from sqlalchemy.orm import DeclarativeBase

from . import _backends, _dialects, _ownership, _pooler
from ._model_base import new_model_class
from ._url_parts import from_parts
from ._urls import DatabaseURL
from .errors import UsageError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine
    from sqlalchemy.orm import registry

__all__ = ["DatabaseSetup", "merged_options", "session_factory_options"]

E = TypeVar("E", "Engine", "AsyncEngine")

_SQLA_WRAPPER_ONLY = {
    "base_model_class": "pass model_class=, a whole declarative base (class Base(Mixin, DeclarativeBase))",
    "base_model_metaclass": "pass model_class=, a declarative base of your own",
}


class DatabaseSetup(Generic[E]):
    """An engine with its ``Model`` base and session factory, made from one set of arguments.

    ``url`` or its parts (sqla-wrapper's ``dialect=``, ``name=``...), never both;
    ``engine_options`` and the other keyword arguments together for the engine;
    ``session_options`` for the session factory. A subclass says how to make its
    engine (:meth:`_create_engine`) and its sessions (:meth:`_set_up_sessions`).
    """

    url: DatabaseURL
    Model: type[DeclarativeBase]
    registry: registry
    metadata: MetaData
    engine: E

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
        parts = {
            "dialect": dialect,
            "name": name,
            "user": user,
            "password": password,
            "host": host,
            "port": port,
        }
        self.url = DatabaseURL(connection_url(url, **parts))
        options = merged_options(engine_options, more_engine_options)
        self.engine = self._engine_of(self.url, options)
        self.Model = model_class if model_class is not None else new_model_class()
        self.registry = self.Model.registry
        self.metadata = self.Model.metadata
        _ownership.own(self.metadata, self)
        self._set_up_sessions(session_options)

    def _create_engine(self, url: URL, options: dict[str, Any]) -> E:
        """The engine of ``url``: ``create_engine()`` or ``create_async_engine()``."""
        raise NotImplementedError

    def _set_up_sessions(self, options: Mapping[str, Any] | None) -> None:
        """Set the session factory (and any scoped session) up, with ``session_options``."""
        raise NotImplementedError

    def _engine_of(self, url: DatabaseURL, options: Mapping[str, Any]) -> E:
        """An engine of ``url`` (the Database's, or a replica's): datalayer's defaults under ``options``."""
        pooler, chosen = options.get("pooler"), _pooler.engine_options(url.drivername, options)
        try:
            engine = self._create_engine(url.to_url(), _backends.engine_defaults(url.drivername, chosen))
        except TypeError as error:  # create_engine() names the arguments it did not take
            if not str(error).startswith("Invalid argument(s)"):
                raise
            raise UsageError(
                f"{str(error).split(' sent to ')[0]} given to {type(self).__name__}(): not one of its "
                "own (url, dialect, name, user, password, host, port, engine_options, session_options, "
                "model_class, pooler), nor an engine option of this dialect, driver and pool"
            ) from error
        sync_engine = engine if isinstance(engine, Engine) else engine.sync_engine
        _dialects.configure_engine(sync_engine, pooler=pooler)
        return engine


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
