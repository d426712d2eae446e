"""sqla-wrapper's URL in parts: ``Database(dialect=, name=, user=, password=, host=, port=)``."""

from __future__ import annotations

from urllib.parse import unquote

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

from .errors import UsageError

__all__ = ["from_parts"]


def from_parts(
    dialect: str | None,
    name: str | None,
    user: str | None,
    password: str | None,
    host: str | None,
    port: str | int | None,
) -> str | URL:
    """sqla-wrapper's URL from separate parts: ``dialect://user:password@host:port/name``.

    The same defaults: SQLite unless told, host ``127.0.0.1`` for a server. As
    in sqla-wrapper, which pasted the parts into the URL's text, a
    percent-encoded part is decoded once (``p%40ss`` is ``p@ss``) and ``name``
    may end in the driver's options (``app.db?timeout=10``); that text is the
    URL wherever it reads back as the parts given. Unlike it, a part may also
    hold ``@``, ``/`` or ``:`` as is: the URL is then SQLAlchemy's, escaped.
    """
    dialect = dialect or "sqlite"
    if not host and not dialect.startswith("sqlite"):
        host = "127.0.0.1"
    database, _, options = (name or "").partition("?")
    made = URL.create(
        dialect,
        username=unquote(user) if user else None,
        password=unquote(password) if user and password else None,
        host=host or None,
        port=_port_number(port),
        database=unquote(database) or None,
    ).update_query_string(options)
    pasted = _pasted(dialect, name, user, password, host, port)
    try:
        same = make_url(pasted) == made
    except (ArgumentError, ValueError):  # a raw part that the text cannot hold
        same = False
    return pasted if same else made


def _port_number(port: str | int | None) -> int | None:
    try:
        number = int(port) if port not in (None, "") else None
    except ValueError:
        raise UsageError(f"port={port!r} is not a port number") from None
    if number is not None and not 0 < number < 65536:
        raise UsageError(f"port={port!r} is not a port number (1 to 65535)")
    return number


def _pasted(
    dialect: str, name: str | None, user: str | None, password: str | None, host: str | None, port: object
) -> str:
    """The text sqla-wrapper made of the parts, pasted in as given."""
    credentials = f"{user}{f':{password}' if password else ''}@" if user else ""
    address = f"{host}{f':{port}' if port else ''}" if host else ""
    return f"{dialect}://{credentials}{address}{f'/{name}' if name else ''}"
