"""assert_queries: the N+1 guard, and the statement count of each helper."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from sqlalchemy.orm import selectinload

from datalayer import Database, Session, UnitOfWork
from datalayer.testing import QueryLog, count_queries
from tests.conftest import Env

AssertQueries = Callable[[int], AbstractContextManager[QueryLog]]


def test_a_wrong_count_fails_and_lists_the_statements(
    env: Env, db_session: Session, assert_queries: AssertQueries
) -> None:
    with pytest.raises(AssertionError) as raised, assert_queries(1):
        db_session.first(env.models.User, email="a@x.org")
        db_session.all(env.models.Tag)
    message = str(raised.value)
    assert message.startswith("expected 1 statements, the block ran 2:\n1. SELECT")
    assert "\n2. SELECT" in message and "t_tags" in message


def test_lazy_loading_in_a_loop_is_caught_and_eager_loading_fixes_it(
    env: Env, db_session: Session, assert_queries: AssertQueries
) -> None:
    User = env.models.User
    for _ in range(3):
        env.factories.UserWithOrders()
    db_session.expire_all()
    with assert_queries(4):  # 1 for the users, then 1 per user: N+1
        assert sum(len(user.orders) for user in db_session.all(User)) == 6
    db_session.expire_all()
    with assert_queries(2):  # the users, then every order at once
        statement = env.db.select(User).options(selectinload(User.orders))
        assert sum(len(user.orders) for user in db_session.scalars(statement)) == 6


def test_transaction_control_is_not_counted(
    env: Env, datalayer_db: Database, assert_queries: AssertQueries
) -> None:
    with assert_queries(1) as log, UnitOfWork(datalayer_db) as uow:  # SAVEPOINT / RELEASE left out
        uow.repository(env.models.User).create(email="a@x.org")
    assert log.statements[0].lstrip().upper().startswith("INSERT")


def test_each_helper_runs_the_fewest_statements(
    env: Env, db_session: Session, assert_queries: AssertQueries
) -> None:
    User = env.models.User
    with assert_queries(1):
        user = db_session.create(User, email="a@x.org")
    with assert_queries(1):
        assert db_session.first(User, email="a@x.org") is user
    with assert_queries(1):
        assert db_session.first_or_create(User, email="a@x.org") is user
    with assert_queries(1):
        db_session.create_or_first(User, email="new@x.org")
    with assert_queries(2):  # the failed INSERT, then the re-read by the key
        assert db_session.create_or_first(User, email="a@x.org") is user
    with assert_queries(1):
        assert len(db_session.all(User)) == 2


def test_count_queries_logs_every_thread_of_the_engine(env: Env) -> None:
    with count_queries(env.db) as log, env.db.Session() as dbs:
        dbs.all(env.models.User)
    assert len(log) == 1 and repr(log) == "QueryLog(1 statements)"


def test_round_trips_per_helper_on_a_plain_session(env: Env) -> None:
    """Every statement sent counts here, SAVEPOINTs included: what each helper costs for real."""
    User = env.models.User
    native = "execution_options" not in env.engine_options
    with env.db.Session() as dbs:
        existing = dbs.create(User, email="a@x.org")
        dbs.flush()
        with count_queries(env.db) as log:
            dbs.first(User, email="a@x.org")
        assert log.round_trips == 1
        with count_queries(env.db) as log:
            assert dbs.first_or_create(User, email="a@x.org") is existing
        assert log.round_trips == 1
        with count_queries(env.db) as log:
            dbs.create(User, email="b@x.org")
        assert log.round_trips == 1
        with count_queries(env.db) as log:
            dbs.create_or_first(User, email="new@x.org")
        assert log.round_trips == (1 if native else 3)  # INSERT (.. ON CONFLICT), or SAVEPOINT/INSERT/RELEASE
        with count_queries(env.db) as log:
            assert dbs.create_or_first(User, email="a@x.org") is existing
        assert log.round_trips == (2 if native else 4)  # + the re-read (and ROLLBACK TO SAVEPOINT)
