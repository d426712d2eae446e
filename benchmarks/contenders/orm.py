"""The baseline: idiomatic SQLAlchemy 2.x ORM, written the way a careful engineer writes it."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.schema import EVENTS, BenchEvent, BenchItem, BenchOrder, BenchUser

from .base import (
    ITEM,
    NAME,
    STREAM_BATCH,
    Contender,
    Ids,
    Keys,
    Rows,
    check_page,
    consume,
    found,
    found_id,
    fresh_name,
    plain_engine,
)

__all__ = ["OrmContender"]


def _by_email(session: Session, key: str) -> BenchUser | None:
    return session.scalars(select(BenchUser).where(BenchUser.email == key)).one_or_none()


def _create_or_first(session: Session, key: str) -> BenchUser:
    """Insert inside a SAVEPOINT; on a unique violation, read the row that holds the key."""
    user = BenchUser(email=key)
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        return session.scalars(select(BenchUser).where(BenchUser.email == key)).one()
    return user


def _select_then_update(session: Session, key: str, name: str) -> BenchUser:
    """Read the row by its key; update it, or add it when there is none; flush."""
    user = _by_email(session, key)
    if user is None:
        user = BenchUser(email=key, name=name)
        session.add(user)
    else:
        user.name = name
    session.flush()
    return user


def _first_or_create(session: Session, key: str) -> BenchUser:
    user = _by_email(session, key)
    return user if user is not None else _create_or_first(session, key)


class OrmContender(Contender):
    """Sessions from a ``sessionmaker`` on :func:`plain_engine`; one ``Session.begin()`` block per batch."""

    name = "sqlalchemy-orm"

    def __init__(self, url: str) -> None:
        self.engine = plain_engine(url)
        self.Session = sessionmaker(self.engine)

    def engines(self) -> list[Engine]:
        return [self.engine]

    def lookup(self, keys: Keys) -> None:
        with self.Session.begin() as session:
            for key in keys:
                found(_by_email(session, key), key)

    def get(self, ids: Ids) -> None:
        with self.Session.begin() as session:
            for ident in ids:
                found_id(session.get(BenchUser, ident), ident)

    def create(self, keys: Keys) -> None:
        with self.Session.begin() as session:
            for key in keys:
                session.add(BenchUser(email=key, name=NAME))
                session.flush()

    def first_or_create(self, keys: Keys) -> None:
        with self.Session.begin() as session:
            for key in keys:
                found(_first_or_create(session, key), key)

    def create_or_first(self, keys: Keys) -> None:
        with self.Session.begin() as session:
            for key in keys:
                found(_create_or_first(session, key), key)

    def upsert(self, keys: Keys) -> None:
        """Select-then-update, as hand-written ORM code does it (two statements, and racy)."""
        with self.Session.begin() as session:
            for key in keys:
                found(_select_then_update(session, key, fresh_name()), key)

    def web_request(self, keys: Keys) -> None:
        for key in keys:
            with self.Session.begin() as session:
                user = _first_or_create(session, key)
                session.add(BenchOrder(user_id=user.id, item=ITEM))

    def bulk_create(self, rows: Rows) -> None:
        """``add_all`` then one flush: objects with their primary keys, like per-row creates."""
        with self.Session.begin() as session:
            session.add_all([BenchEvent(**row) for row in rows])
            session.flush()

    def orm_bulk_insert(self, rows: Rows) -> None:
        """SQLAlchemy 2.x ORM bulk INSERT: ``session.execute(insert(Model), rows)``, no objects back."""
        with self.Session.begin() as session:
            session.execute(insert(BenchEvent), rows)

    def orm_returning(self, rows: Rows) -> None:
        """SQLAlchemy's insertmanyvalues with RETURNING: the objects back, in the rows' order."""
        with self.Session.begin() as session:
            statement = insert(BenchEvent).returning(BenchEvent, sort_by_parameter_order=True)
            list(session.scalars(statement, rows))

    def core_executemany(self, rows: Rows) -> None:
        """Core ``executemany``: ``connection.execute(table.insert(), rows)``."""
        with self.engine.begin() as connection:
            connection.execute(EVENTS.insert(), rows)

    def iterate(self, stream: bool) -> int:
        statement = select(BenchItem).order_by(BenchItem.id)
        with self.Session() as session:
            if stream:
                return consume(session.scalars(statement.execution_options(yield_per=STREAM_BATCH)))
            return consume(session.scalars(statement).all())

    def page_offset(self, offset: int, size: int) -> int:
        statement = select(BenchItem).order_by(BenchItem.id).limit(size).offset(offset)
        with self.Session() as session:
            return check_page([item.id for item in session.scalars(statement)], size)

    def page_keyset(self, after: int | None, size: int) -> int:
        statement = select(BenchItem).order_by(BenchItem.id).limit(size)
        if after is not None:
            statement = statement.where(BenchItem.id > after)
        with self.Session() as session:
            return check_page([item.id for item in session.scalars(statement)], size)
