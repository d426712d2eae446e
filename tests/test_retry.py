"""run() and @transactional: a unit of work as a retried function."""

from __future__ import annotations

import logging

import pytest

from datalayer import UnitOfWork, run, transactional
from datalayer.errors import ConflictError, DeadlockError, PartiallyCommittedError, UsageError
from datalayer.testing import FakeDatabase, FakeUnitOfWork
from tests.conftest import Env


def test_a_transient_failure_is_retried_in_a_fresh_unit_until_it_succeeds(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    units: list[UnitOfWork] = []
    retries: list[tuple[int, str]] = []

    def flaky(uow: UnitOfWork) -> int:
        units.append(uow)
        user = uow.repository(env.models.User).create(email=f"try{len(units)}@x.org")
        if len(units) < 3:
            raise DeadlockError("deadlock: retry the unit of work")
        return int(user.id)

    with caplog.at_level(logging.INFO, logger="datalayer"):
        user_id = run(
            lambda: UnitOfWork(env.db),
            flaky,
            on_retry=lambda n, error, _: retries.append((n, type(error).__name__)),
        )
    assert len(set(map(id, units))) == 3
    assert retries == [(1, "DeadlockError"), (2, "DeadlockError")]
    assert "retrying a unit of work after DeadlockError (attempt 1 of 5)" in caplog.text
    with env.db.Session() as dbs:  # the failed attempts were rolled back
        assert [(u.id, u.email) for u in dbs.all(env.models.User)] == [(user_id, "try3@x.org")]


def test_the_last_failure_propagates_after_the_attempts(env: Env) -> None:
    calls: list[int] = []

    def always(uow: UnitOfWork) -> None:
        calls.append(1)
        raise DeadlockError("deadlock")

    with pytest.raises(DeadlockError):
        run(lambda: UnitOfWork(env.db), always, attempts=3, backoff=0)
    assert len(calls) == 3


def test_other_errors_propagate_at_once(env: Env) -> None:
    calls: list[int] = []

    def conflicting(uow: UnitOfWork) -> None:
        calls.append(1)
        raise ConflictError("not transient")

    with pytest.raises(ConflictError):
        run(lambda: UnitOfWork(env.db), conflicting)
    assert calls == [1]
    with pytest.raises(UsageError, match="attempts must be at least 1"):
        run(lambda: UnitOfWork(env.db), conflicting, attempts=0)


def test_transactional_runs_each_call_in_its_own_committed_unit(env: Env) -> None:
    @transactional(lambda: UnitOfWork(env.db), attempts=2)
    def tag(uow: UnitOfWork, label: str) -> str:
        return str(uow.repository(env.models.Tag).first_or_create(label=label).label)

    assert tag("python") == "python"
    assert tag("python") == "python"
    assert tag.__name__ == "tag"
    with env.db.Session() as dbs:
        assert [t.label for t in dbs.all(env.models.Tag)] == ["python"]


def test_transactional_works_with_fake_units() -> None:
    database = FakeDatabase()
    seen: list[FakeUnitOfWork] = []

    @transactional(lambda: FakeUnitOfWork(database))
    def remember(uow: FakeUnitOfWork) -> None:
        seen.append(uow)

    remember()
    assert seen[0].committed


def test_run_wraps_a_service_that_opens_the_unit_it_is_handed(env: Env) -> None:
    calls: list[int] = []
    units: list[UnitOfWork] = []

    def place_order(uow: UnitOfWork, email: str) -> int:
        """A service in the book's style: handed a unit, it opens it itself and commits at the end."""
        calls.append(1)
        units.append(uow)
        with uow:
            user = uow.repository(env.models.User).create(email=email)
            if len(calls) == 1:
                raise DeadlockError("deadlock: retry the unit of work")
            uow.commit()
            return int(user.id)

    user_id = run(lambda: UnitOfWork(env.db), lambda uow: place_order(uow, "a@x.org"), backoff=0)
    assert len(calls) == 2 and units[0] is not units[1]  # a fresh unit per attempt
    with env.db.Session() as dbs:
        assert [(u.id, u.email) for u in dbs.all(env.models.User)] == [(user_id, "a@x.org")]


def test_a_service_that_committed_is_never_run_again_by_run(env: Env) -> None:
    calls: list[int] = []

    def pay(uow: UnitOfWork) -> None:
        calls.append(1)
        with uow:
            uow.repository(env.models.User).create(email="paid@x.org")
            uow.commit()
        raise DeadlockError("deadlock after the service committed")

    with pytest.raises(PartiallyCommittedError):
        run(lambda: UnitOfWork(env.db), pay, backoff=0)
    assert calls == [1]
    with env.db.Session() as dbs:
        assert [u.email for u in dbs.all(env.models.User)] == ["paid@x.org"]


@pytest.mark.parametrize("helper", ["create_or_first", "first_or_create", "begin_nested"])
def test_a_released_savepoint_is_not_a_commit_and_the_unit_is_still_retried(env: Env, helper: str) -> None:
    """A savepoint released inside the unit (the helpers' own, or the caller's) commits nothing."""
    attempts: list[int] = []

    def work(uow: UnitOfWork) -> int:
        attempts.append(1)
        users = uow.repository(env.models.User)
        email = f"try{len(attempts)}@x.org"
        if helper == "begin_nested":
            with uow.session.begin_nested():
                user = users.create(email=email)
        else:
            user = getattr(users, helper)(email=email)
        if len(attempts) < 2:
            raise DeadlockError("deadlock after a savepoint was released")
        return int(user.id)

    user_id = run(lambda: UnitOfWork(env.db), work, backoff=0)
    assert len(attempts) == 2  # retried: nothing of the first attempt was committed
    with env.db.Session() as dbs:
        assert [(u.id, u.email) for u in dbs.all(env.models.User)] == [(user_id, "try2@x.org")]


def test_an_error_after_a_released_savepoint_claims_no_committed_part(env: Env) -> None:
    with pytest.raises(ConflictError) as caught, UnitOfWork(env.db) as uow:
        users = uow.repository(env.models.User)
        with uow.session.begin_nested():
            users.create(email="a@x.org")
        users.create_or_first(email="b@x.org")
        raise ConflictError("the caller's own failure")
    assert not any("committed" in note for note in getattr(caught.value, "__notes__", []))
    with env.db.Session() as dbs:
        assert dbs.all(env.models.User) == []
