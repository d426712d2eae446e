"""create_or_first against a row its transaction's snapshot cannot see."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from datalayer.errors import ConflictError, RetryableError, StaleConflictError
from tests.conftest import Env, EnvFactory


def commit_elsewhere(env: Env, email: str) -> int:
    with env.db.Session() as other:
        user = other.create(env.models.User, email=email, name="winner")
        other.commit()
        return int(user.id)


@pytest.mark.only("postgresql")
def test_postgresql_repeatable_read_raises_a_retryable_error_and_keeps_the_transaction(
    server_env: Env, make_server_env: EnvFactory
) -> None:
    snapshot = make_server_env(isolation_level="REPEATABLE READ")
    User = snapshot.models.User
    with snapshot.db.Session() as dbs:
        mine = dbs.create(User, email="mine@x.org")  # takes the snapshot
        commit_elsewhere(server_env, "taken@x.org")

        with pytest.raises(StaleConflictError, match="retry the unit of work") as raised:
            dbs.create_or_first(User, email="taken@x.org")

        assert isinstance(raised.value, RetryableError) and isinstance(raised.value, ConflictError)
        assert isinstance(raised.value.__cause__, IntegrityError)
        assert mine in dbs
        dbs.commit()  # the rest of the transaction is intact
    with server_env.db.Session() as dbs:
        assert sorted(u.email for u in dbs.all(server_env.models.User)) == ["mine@x.org", "taken@x.org"]


@pytest.mark.only("mariadb")
def test_mariadb_repeatable_read_returns_the_row_committed_after_the_snapshot(
    server_env: Env, make_server_env: EnvFactory
) -> None:
    snapshot = make_server_env(isolation_level="REPEATABLE READ")
    User = snapshot.models.User
    with snapshot.db.Session() as dbs:
        assert dbs.all(User) == []  # takes the snapshot
        winner_id = commit_elsewhere(server_env, "taken@x.org")

        found = dbs.create_or_first(User, email="taken@x.org")

        assert (found.id, found.name) == (winner_id, "winner")
        dbs.commit()
