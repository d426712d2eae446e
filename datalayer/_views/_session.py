"""The session's side of a view's read: its autoflush, and its transaction's connection, looked up cheaply.

A read of a key costs SQLite a few microseconds, so these take the shortest way to
what ``Session.connection()`` and ``Query``'s autoflush do, through the session's
own state; anything unusual (no transaction yet, a transaction to refuse, a
``session.begin()`` block) goes through SQLAlchemy's methods, which begin the
transaction or say why they cannot.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.session import SessionTransactionState

__all__ = ["autoflush", "connection_for"]

_ACTIVE = SessionTransactionState.ACTIVE


def autoflush(session: Session) -> None:
    """The ORM's autoflush before a query: pending changes flushed, unless autoflush is off."""
    if session.autoflush and (
        session._new  # pyright: ignore[reportPrivateUsage]
        or session._deleted  # pyright: ignore[reportPrivateUsage]
        or session.identity_map._modified  # pyright: ignore[reportPrivateUsage]
    ):
        session._autoflush()  # pyright: ignore[reportPrivateUsage]  (Query's, errors and all)


def connection_for(session: Session, bind: Engine | Connection, mapper: Mapper[Any]) -> Connection:
    """``session.connection(bind_arguments={"mapper": mapper})``, ``bind`` being ``get_bind(mapper)``'s."""
    transaction = session._transaction  # pyright: ignore[reportPrivateUsage]
    if (
        transaction is not None
        and transaction._state is _ACTIVE  # pyright: ignore[reportPrivateUsage]
        and session._trans_context_manager is None  # pyright: ignore[reportPrivateUsage]
    ):
        held = transaction._connections.get(bind)  # pyright: ignore[reportPrivateUsage]
        if held is not None:
            return held[0]
    return session.connection(bind_arguments={"mapper": mapper})
