"""The plugin's sync and async fixtures alike: the database an ini option names, and connection failures.

Neither shows a password: not in a message, not in a traceback's locals.
"""

from __future__ import annotations

import importlib
from collections.abc import Generator
from contextlib import contextmanager
from typing import Protocol, TypeVar

import pytest
from sqlalchemy import URL
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from .._urls import DatabaseURL, hide_credentials, shown
from ..errors import UsageError

__all__ = ["connecting", "load"]


class _Database(Protocol):
    @property
    def url(self) -> URL | DatabaseURL: ...


D = TypeVar("D")


def load(option: str, spec: str, kind: type[D]) -> D:
    """The ``kind`` object that the ini option's ``module:attribute`` names; a UsageError otherwise."""
    __tracebackhide__ = True  # its locals hold what was found, a URL with its password maybe
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise UsageError(f"{option} = {spec!r}: expected module:attribute, e.g. myapp.db:db")
    found = getattr(importlib.import_module(module_name), attribute, None)
    if not isinstance(found, kind):
        raise UsageError(
            f"{option} = {spec!r} is {_described(found, kind.__name__)}, not a datalayer {kind.__name__}"
        )
    return found


def _described(found: object, kind: str) -> str:
    """What ``found`` is, for a message: never its value, which may be a URL with its password."""
    if found is None:
        return "None (or missing)"
    engine: object = getattr(found, "sync_engine", found)  # an AsyncEngine's, if it is one
    if isinstance(engine, Engine):
        return f"an {type(found).__name__} on {shown(engine.url)}: wrap its URL, {kind}(url)"
    if isinstance(found, URL):
        return f"the URL {shown(found)}: make it {kind}(url)"
    if isinstance(found, str):
        try:
            return f"the URL string {shown(found)}: make it {kind}(url)"
        except sa_exc.ArgumentError:
            return "a string (not shown)"
    return f"a {type(found).__module__}.{type(found).__qualname__} object"


@contextmanager
def connecting(database: _Database) -> Generator[None, None, None]:
    """Report a failure to connect to ``database`` as one line: the driver's message, no password.

    Left to propagate, the error's traceback would list the arguments of the
    driver's connect function, the password among them.
    """
    __tracebackhide__ = True
    try:
        yield
    except sa_exc.DBAPIError as exc:  # asyncpg's socket errors too: the engine raises them as the driver's
        if exc.statement is not None:  # a statement failed: not a failure to connect
            raise
        orig = exc.orig
        lines = str(orig).strip().splitlines()
        reason = hide_credentials(lines[0] if lines else "", database.url)
        message = f"cannot connect to {database!r}: {type(orig).__name__}: {reason}"
        raise pytest.fail.Exception(message, pytrace=False) from None
