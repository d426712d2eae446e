"""Several addresses for one logical MariaDB primary: ``?host=h1:port1&host=h2:port2``, as libpq takes them.

A Galera cluster takes writes on every node, so an application names several and
keeps working through the others when one is lost. PostgreSQL's libpq reads such a
URL itself (SQLAlchemy hands the hosts on), and with ``target_session_attrs=read-write``
skips a server that is read-only: nothing is needed there. MariaDB's drivers take one
host: each new connection of the engine tries the URL's hosts in turn, from the one
that served the last connection, and moves past a host that refuses a connection, or
whose connection was lost or stopped serving (Galera's 1047: the node left the
cluster's primary component). The pool drops its other connections to that host.
Every connection goes to one host at a time, which keeps Galera's conflicts between
nodes away from a single application.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine, ExceptionContext

from ._error_codes import mysql_errno
from ._views import ignores_selects
from .errors import UsageError

__all__ = ["Hosts", "install"]

_HOST_PORT = re.compile(r"(?:\[(?P<v6>[^\]]+)\]|(?P<name>[^:\[\]/]+))(?::(?P<port>\d{1,5}))?\Z")
_NOT_SERVING = 1047  # Galera: "WSREP has not yet prepared node for application use" (SQLSTATE 08S01)
_HOST = "datalayer_host"  # connection record info: the index of the host the connection went to
_Connect = Callable[[Dialect, Sequence[Any], dict[str, Any]], Any]


class Hosts:
    """The hosts of one engine, and the one its next connection tries first."""

    def __init__(self, hosts: Sequence[tuple[str, int | None]]) -> None:
        self.hosts = list(hosts)
        self._first = 0
        self._lock = threading.Lock()

    def order(self) -> list[int]:
        """The hosts' indexes in the order to try them."""
        first, count = self._first, len(self.hosts)
        return [(first + step) % count for step in range(count)]

    def failed(self, index: int) -> None:
        """The host ``index`` failed: the next connection tries the one after it first."""
        with self._lock:
            if self._first == index:
                self._first = (index + 1) % len(self.hosts)


def parse(url: str, values: str | Sequence[str], default_port: int | None) -> list[tuple[str, int | None]]:
    """``host=`` values (``h``, ``h:port``, ``[::1]:port``) as (host, port); a UsageError names a bad one."""
    hosts: list[tuple[str, int | None]] = []
    for value in [values] if isinstance(values, str) else values:
        match = _HOST_PORT.match(value)
        if match is None or int(match["port"] or 0) > 65535:
            raise UsageError(f"host={value!r} in {url}: give host or host:port, such as 127.0.0.1:3306")
        port = match["port"]
        hosts.append((match["v6"] or match["name"], int(port) if port else default_port))
    return hosts


def install(engine: Engine, connect: _Connect, shown_url: str) -> None:
    """Make ``engine`` (MariaDB/MySQL) drop a node that stops serving, and try each host of ``host=``.

    ``connect`` opens one connection (the dialect's own, wrapped as the engine needs).
    """
    # A view's SELECT sent raw skips neither: a failure goes through SQLAlchemy's handling, which calls them.
    event.listen(engine, "handle_error", _not_serving)
    ignores_selects(_not_serving)
    url = engine.url
    values = url.query.get("host")
    if values is None:
        return
    if url.host:
        raise UsageError(
            f"{shown_url} names a host before the database and others as host=: give every host as "
            "host=, as in mysql+pymysql://user@/app?host=node1:3306&host=node2:3306"
        )
    hosts = Hosts(parse(shown_url, values, url.port))

    def do_connect(dialect: Dialect, record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        failure: BaseException | None = None
        for index in hosts.order():
            host, port = hosts.hosts[index]
            params = {**cparams, "host": host, **({"port": port} if port is not None else {})}
            try:
                connection = connect(dialect, cargs, params)
            except dialect.loaded_dbapi.Error as error:  # refused, unreachable, not serving: the next one
                hosts.failed(index)
                failure = error
                continue
            if record is not None:
                record.info[_HOST] = index
            return connection
        assert failure is not None  # at least one host was tried
        raise failure

    def handle_error(context: ExceptionContext) -> None:
        connection = context.connection
        if context.is_disconnect and connection is not None and not connection.invalidated:
            index = connection.info.get(_HOST)
            if index is not None:
                hosts.failed(index)

    event.listen(engine, "do_connect", do_connect)
    event.listen(engine, "handle_error", handle_error)
    ignores_selects(handle_error)


def _not_serving(context: ExceptionContext) -> None:
    # A Galera node outside the primary component (or told to reject queries) refuses every
    # statement: its connections are as good as lost, and the pool drops them.
    error = context.original_exception
    if isinstance(error, context.dialect.loaded_dbapi.Error) and mysql_errno(error) == _NOT_SERVING:
        context.is_disconnect = True
