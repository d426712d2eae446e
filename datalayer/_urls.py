"""Database URLs as datalayer shows them: never with a password.

A password can sit in two places of a SQLAlchemy URL: after the user name, and
in the query string, which SQLAlchemy hands to the driver as keyword arguments
(``?password=`` for psycopg/libpq and PyMySQL, ``?passwd=`` for PyMySQL and
mysqlclient, libpq's ``?sslpassword=``, PyMySQL's ``?ssl_key_password=``, a
whole ODBC connection string with its ``PWD=`` in ``?odbc_connect=``...).
SQLAlchemy's own rendering (``repr(url)``, ``repr(engine)``) hides only the
first. :func:`shown` hides both, and is what every message of datalayer uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

from sqlalchemy import URL, make_url

__all__ = [
    "HIDDEN",
    "DatabaseURL",
    "credentials_of",
    "hide_credentials",
    "is_secret_parameter",
    "shown",
]

HIDDEN = "***"

# A query parameter whose lower-cased name contains one of these carries a secret.
_SECRET_PARTS = ("pass", "pwd", "secret", "token", "credential")
# Parameters whose value is a whole connection string, which may hold a password.
_CONNECTION_STRINGS = frozenset({"odbc_connect", "dsn", "conninfo"})


def is_secret_parameter(name: str) -> bool:
    """Whether the query parameter ``name`` may carry a credential (masked when shown)."""
    lowered = name.lower()
    return lowered in _CONNECTION_STRINGS or any(part in lowered for part in _SECRET_PARTS)


def shown(url: str | URL) -> str:
    """``url`` rendered for a message or a log: its password and credential parameters are ``***``.

    Every other part (driver, user, host, port, database, the other query
    parameters) is kept, so the message still says where it was going. A string
    that is not a URL raises SQLAlchemy's ``ArgumentError``, which does not repeat it.
    """
    parsed = make_url(url)
    base = parsed.set(query={}).render_as_string(hide_password=True)
    pairs = [
        f"{quote_plus(name)}={HIDDEN if is_secret_parameter(name) else quote_plus(value)}"
        for name, values in parsed.query.items()
        for value in ((values,) if isinstance(values, str) else values)
    ]
    return f"{base}?{'&'.join(pairs)}" if pairs else base


def credentials_of(url: URL | DatabaseURL) -> list[str]:
    """The credentials in ``url``: its password and the values of its credential parameters."""
    found = [str(url.password)] if url.password else []
    for name, values in url.query.items():
        if is_secret_parameter(name):
            found += [value for value in ((values,) if isinstance(values, str) else values) if value]
    return found


def hide_credentials(text: str, url: URL | DatabaseURL) -> str:
    """``text`` (a driver's message, say) with every credential of ``url`` replaced by ``***``."""
    for credential in sorted(credentials_of(url), key=len, reverse=True):
        text = text.replace(credential, HIDDEN)
    return text


class DatabaseURL(str):
    """A Database's URL: the text it was given (as sqla-wrapper's ``db.url`` was), with a URL's attributes.

    As a string it is the whole URL, password included, so it can be handed on:
    ``create_engine(db.url)``, ``str(db.url)`` in a tool's configuration, an
    environment variable. Compared, searched and sliced, it is that text. Its
    ``repr`` (debuggers, tracebacks, assertion messages) hides the credentials,
    as ``repr(db)`` and ``str(db)`` do; so does ``render_as_string()`` (the
    query string's too, which SQLAlchemy's shows). ``drivername``,
    ``username``, ``password``, ``host``, ``port``, ``database`` and ``query``
    are SQLAlchemy's; :meth:`to_url` gives the ``sqlalchemy.URL`` itself.
    """

    _url: URL

    def __new__(cls, url: str | URL) -> DatabaseURL:
        parsed = make_url(url)
        made = super().__new__(
            cls, url if isinstance(url, str) else parsed.render_as_string(hide_password=False)
        )
        made._url = parsed
        return made

    def __repr__(self) -> str:
        return repr(shown(self._url))

    def to_url(self) -> URL:
        """The ``sqlalchemy.URL`` this text parses to."""
        return self._url

    @property
    def drivername(self) -> str:
        return self._url.drivername

    @property
    def username(self) -> str | None:
        return self._url.username

    @property
    def password(self) -> str | None:
        return None if self._url.password is None else str(self._url.password)

    @property
    def host(self) -> str | None:
        return self._url.host

    @property
    def port(self) -> int | None:
        return self._url.port

    @property
    def database(self) -> str | None:
        return self._url.database

    @property
    def query(self) -> Mapping[str, str | tuple[str, ...]]:
        return self._url.query

    def render_as_string(self, hide_password: bool = True) -> str:
        """The URL with its credentials ``***`` (as :func:`shown`), or whole with ``hide_password=False``."""
        return shown(self._url) if hide_password else self._url.render_as_string(hide_password=False)

    def get_backend_name(self) -> str:
        return self._url.get_backend_name()

    def get_driver_name(self) -> str:
        return self._url.get_driver_name()

    def set(self, **parts: Any) -> URL:
        """A ``sqlalchemy.URL`` with ``parts`` changed, as :meth:`sqlalchemy.URL.set`."""
        return self._url.set(**parts)
