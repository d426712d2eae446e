"""stream(): arguments checked when called, and never a quiet early end."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from datalayer import Session
from datalayer.errors import StreamInterruptedError, UnknownAttributeError, UsageError
from repositories import Repository
from tests.conftest import Env

ENDINGS: dict[str, Callable[[Session], None]] = {
    "commit": Session.commit,
    "rollback": Session.rollback,
    "close": Session.close,
}


def unbuffered_result_dropped(env: Env) -> contextlib.AbstractContextManager[object]:
    """PyMySQL warns when the transaction ends under an open server-side cursor, and drops its rows."""
    if env.backend == "mariadb":
        return pytest.warns(UserWarning, match="unbuffered result")
    return contextlib.nullcontext()


def add_tags(env: Env, count: int) -> None:
    with env.db.Session() as dbs:
        dbs.create_many(env.models.Tag, [{"label": f"t{n:04}"} for n in range(count)])
        dbs.commit()


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_stream_raises_when_the_transaction_ends_mid_iteration(env: Env, ending: str) -> None:
    add_tags(env, 250)
    seen: list[str] = []
    with env.db.Session() as dbs:
        with pytest.raises(StreamInterruptedError) as raised:
            for tag in Repository(dbs, env.models.Tag).stream(batch_size=20):
                seen.append(tag.label)
                if len(seen) == 50:
                    with unbuffered_result_dropped(env):
                        ENDINGS[ending](dbs)
        assert raised.value.rows == 50 and raised.value.model is env.models.Tag
        message = str(raised.value)
        assert "the transaction ended while streaming Tag after 50 rows" in message
        assert "commit after the loop" in message and "page()" in message
        assert len(dbs.all(env.models.Tag)) == 250  # the session is usable again
    assert seen == [f"t{n:04}" for n in range(50)]


@pytest.mark.only("postgresql")  # the only database that reports a cursor gone with its transaction
def test_stream_raises_when_its_cursor_ends_behind_the_sessions_back(env: Env) -> None:
    add_tags(env, 100)
    with env.db.Session() as dbs:
        rows = Repository(dbs, env.models.Tag).stream(batch_size=10)
        assert next(rows).label == "t0000"
        dbs.execute(text("COMMIT"))  # the server's transaction ends; the session does not know
        # the rest of the first batch was already fetched: it comes before the error
        with pytest.raises(StreamInterruptedError, match="after 10 rows") as raised:
            list(rows)
        assert raised.value.__cause__ is not None


def test_stream_reads_to_the_end_when_the_transaction_stays_open(env: Env) -> None:
    add_tags(env, 130)
    with env.db.Session() as dbs:
        rows = Repository(dbs, env.models.Tag).stream(batch_size=7)
        labels = [tag.label for tag in rows]
        dbs.flush()  # a flush does not end the transaction
        assert labels == [f"t{n:04}" for n in range(130)]
        assert list(rows) == []


@pytest.mark.parametrize("batch_size", [0, -1, True, 2.5, "10", None])
def test_stream_refuses_a_bad_batch_size_when_called_not_when_iterated(env: Env, batch_size: object) -> None:
    with env.db.Session() as dbs, pytest.raises(UsageError, match="batch_size must be an int of at least 1"):
        Repository(dbs, env.models.Tag).stream(batch_size=batch_size)  # type: ignore[arg-type]


def test_stream_refuses_an_unknown_attribute_when_called_not_when_iterated(env: Env) -> None:
    with env.db.Session() as dbs, pytest.raises(UnknownAttributeError, match="lable"):
        Repository(dbs, env.models.Tag).stream(lable="t0001")


def test_stream_left_early_closes_its_cursor_for_the_next_statement(env: Env) -> None:
    add_tags(env, 100)
    with env.db.Session() as dbs:
        rows: Iterator[object] = Repository(dbs, env.models.Tag).stream(batch_size=10)
        next(rows)
        del rows  # an abandoned loop
        assert len(dbs.all(env.models.Tag)) == 100  # MariaDB would warn of an unfinished result
        dbs.commit()


def test_a_statement_inside_a_stream_loop_is_refused_where_it_would_drop_the_rest(env: Env) -> None:
    add_tags(env, 30)
    with env.db.Session() as dbs:
        seen = 0
        for tag in Repository(dbs, env.models.Tag).stream(batch_size=10):
            seen += 1
            if seen == 5:
                if env.backend == "mariadb":  # the driver would read the other rows away, quietly
                    with pytest.raises(UsageError, match="still reading on this connection"):
                        dbs.execute(text("SELECT 1"))
                else:  # a server-side cursor of its own: other statements are fine
                    assert dbs.execute(text("SELECT 1")).scalar_one() == 1
            assert tag.label
        assert seen == 30  # every row, on every database
        assert dbs.execute(text("SELECT 1")).scalar_one() == 1  # the loop is over: statements run again
