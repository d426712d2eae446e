"""Read-only units of work: the database's read-only mode, writes refused, never a commit."""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from datalayer import UnitOfWork
from datalayer.errors import ReadOnlyError, UsageError
from tests.conftest import Env


def test_a_read_only_unit_reads(env: Env) -> None:
    with UnitOfWork(env.db) as uow:
        uow.repository(env.models.User).create(email="a@x.org")
    with UnitOfWork(env.db, read_only=True) as uow:
        assert [u.email for u in uow.repository(env.models.User).all()] == ["a@x.org"]


def test_changes_are_refused_before_anything_is_sent(env: Env) -> None:
    with pytest.raises(ReadOnlyError, match="1 new") as raised, UnitOfWork(env.db, read_only=True) as uow:
        uow.repository(env.models.User).create(email="a@x.org")
    assert isinstance(raised.value, UsageError)
    with env.db.Session() as dbs:
        assert dbs.all(env.models.User) == []


def test_the_database_refuses_raw_writes(env: Env) -> None:
    with pytest.raises(ReadOnlyError) as raised, UnitOfWork(env.db, read_only=True) as uow:
        uow.session.execute(text("INSERT INTO t_tags (label) VALUES ('raw')"))
    assert isinstance(raised.value.__cause__, sa_exc.DBAPIError)
    with env.db.Session() as dbs:
        assert dbs.all(env.models.Tag) == []


def test_a_read_only_unit_never_commits(env: Env) -> None:
    with UnitOfWork(env.db, read_only=True) as uow:
        with pytest.raises(ReadOnlyError, match="never commits"):
            uow.commit()
        user = env.models.User(email="a@x.org")
        uow.session.add(user)
        uow.session.expunge(user)  # nothing pending: the clean exit rolls back quietly


def test_a_subclass_can_be_read_only_and_the_connection_is_writable_afterwards(env: Env) -> None:
    class Reports(UnitOfWork):
        database = env.db
        read_only = True

    with Reports() as uow:
        assert uow.repository(env.models.User).count() == 0
    with UnitOfWork(env.db) as uow:  # the same pooled connection, writable again
        uow.repository(env.models.User).create(email="a@x.org")
    with Reports() as uow:
        assert uow.repository(env.models.User).count() == 1
