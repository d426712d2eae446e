"""A TCP relay in front of a real server, for network faults: cut connections, or lose a COMMIT's answer."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

from sqlalchemy import make_url

__all__ = ["Relay"]


class Relay:
    """Forwards each connection to 127.0.0.1:``port``, byte for byte, until told to fail.

    ``cut()`` closes every connection open now (new ones are relayed again);
    with ``lose_commit_answers`` set, a connection that sends a COMMIT has it
    forwarded, the server's answer dropped, and is then closed: the server
    committed, the client lost its connection during the COMMIT.
    """

    def __init__(self, port: int) -> None:
        self._port = port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.lose_commit_answers = False
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._start(self._accept)

    def url(self, url: str) -> str:
        """``url`` through the relay."""
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def cut(self) -> None:
        """Close every connection relayed now, both ways."""
        with self._lock:
            opened, self._open = self._open, []
        for sock in opened:
            _close(sock)

    def close(self) -> None:
        _close(self._listener)
        self.cut()
        for thread in self._threads:
            thread.join(10)

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            try:
                server = socket.create_connection(("127.0.0.1", self._port))
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open += [client, server]
            committing = threading.Event()
            self._start(self._pump, client, server, committing, True)
            self._start(self._pump, server, client, committing, False)

    def _pump(
        self, source: socket.socket, target: socket.socket, committing: threading.Event, up: bool
    ) -> None:
        with contextlib.suppress(OSError):  # either side closed: the copy ends, and both are closed
            while data := source.recv(65536):
                if not up and committing.is_set():  # the COMMIT's answer: lost with the connection
                    break
                if up and self.lose_commit_answers and _is_commit(data):
                    committing.set()
                target.sendall(data)
        _close(source)
        _close(target)


def _is_commit(data: bytes) -> bool:
    """Whether ``data`` is a COMMIT statement: PostgreSQL's query message, or MariaDB's COM_QUERY packet."""
    return data.rstrip(b"\0").upper().endswith(b"COMMIT")


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
