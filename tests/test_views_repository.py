"""Repository[View]: the reads of a repository, building views; every write refused."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from datalayer import UnitOfWork
from datalayer.errors import NotFoundError, StreamInterruptedError, UsageError
from datalayer.testing import count_queries
from repositories import Repository
from tests._views import views
from tests.conftest import Env
from tests.test_stream import ENDINGS, unbuffered_result_dropped


def seed(env: Env, count: int) -> list[int]:
    with env.db.Session() as dbs:
        users = dbs.create_many(
            env.models.User, [{"email": f"{n:03}@x.org", "name": f"n{n % 3}"} for n in range(count)]
        )
        dbs.commit()
        return [user.id for user in users]


def test_a_view_repository_reads_as_a_model_repository_does(env: Env) -> None:
    ids = seed(env, 5)
    UserRow = views(env).UserRow
    with env.db.Session() as dbs:
        rows = Repository(dbs, UserRow)
        assert rows.model is UserRow
        assert repr(rows) == "Repository(model=UserRow)"
        assert rows.get(ids[0]) == UserRow(ids[0], "000@x.org")
        assert rows.get(id=ids[1]) == UserRow(ids[1], "001@x.org")
        assert rows.get(-1) is None
        assert rows.get_one(ids[2]) == UserRow(ids[2], "002@x.org")
        with pytest.raises(NotFoundError, match="no UserRow with primary key -1"):
            rows.get_one(-1)
        with pytest.raises(UsageError, match="get\\(\\) takes User's primary key"):
            rows.get(email="000@x.org")
        assert rows.first(name="n1") == UserRow(ids[1], "001@x.org")
        assert rows.all(name="n0") == [UserRow(ids[0], "000@x.org"), UserRow(ids[3], "003@x.org")]
        assert rows.count() == 5 and rows.count(name="n2") == 1
        assert rows.exists(email="004@x.org") and not rows.exists(email="nobody")
        assert rows.page(2) == [UserRow(ids[0], "000@x.org"), UserRow(ids[1], "001@x.org")]
        assert rows.page(2, after=ids[1]) == [UserRow(ids[2], "002@x.org"), UserRow(ids[3], "003@x.org")]
        assert rows.page(10, after=ids[3], name="n1") == [UserRow(ids[4], "004@x.org")]
        assert list(rows.stream(batch_size=2)) == rows.all()
        User = env.models.User
        assert rows.scalars(rows.select().where(User.email > "002@x.org").order_by(User.id)) == rows.all()[3:]
        assert len(dbs.identity_map) == 0


def test_a_view_repository_refuses_every_write_naming_the_view_and_its_model(env: Env) -> None:
    UserRow = views(env).UserRow
    writes: dict[str, Callable[[Repository[Any]], object]] = {
        "create": lambda r: r.create(email="a@x.org"),
        "first_or_create": lambda r: r.first_or_create(email="a@x.org"),
        "create_or_first": lambda r: r.create_or_first(email="a@x.org"),
        "create_many": lambda r: r.create_many([{"email": "a@x.org"}], returning=False),
        "upsert": lambda r: r.upsert(match="email", email="a@x.org"),
        "upsert_many": lambda r: r.upsert_many([{"email": "a@x.org"}], match="email"),
        "add": lambda r: r.add(UserRow(1, "a@x.org")),
        "delete": lambda r: r.delete(UserRow(1, "a@x.org")),
    }
    with env.db.Session() as dbs, count_queries(env.db) as log:
        rows = Repository(dbs, UserRow)
        for method, write in writes.items():
            with pytest.raises(UsageError) as raised:
                write(rows)
            assert str(raised.value) == (
                f"Repository.{method}() writes, and UserRow is a view of User: views are read-only; "
                "write through a Repository[User]"
            )
        assert not dbs.new and not dbs.deleted
    assert len(log) == 0


def test_a_subclass_of_a_view_repository_takes_the_view_from_its_type_argument(env: Env) -> None:
    (user_id,) = seed(env, 1)
    UserRow = views(env).UserRow

    class UserRows(Repository[UserRow]):  # type: ignore[valid-type]
        def by_email(self, email: str) -> Any:
            return self.first(email=email)

    with env.db.Session() as dbs:
        assert UserRows(dbs).by_email("000@x.org") == UserRow(user_id, "000@x.org")


def test_units_build_declared_view_repositories_and_give_one_on_request(env: Env) -> None:
    (user_id,) = seed(env, 1)
    v = views(env)
    UserRow = v.UserRow

    # As ``rows: Repository[UserRow]`` in a class body (the annotation evaluated, UserRow being local).
    Unit: Any = type(
        "Unit", (UnitOfWork,), {"database": env.db, "__annotations__": {"rows": Repository[UserRow]}}
    )
    with Unit() as uow:
        assert uow.rows.get(user_id) == UserRow(user_id, "000@x.org")
        assert uow.repository(v.UserPair).first() == v.UserPair(user_id, "n0")
        uow.repository(env.models.User).create(email="new@x.org")
        assert uow.rows.first(email="new@x.org") is not None  # the unit's own write, in its transaction
    with UnitOfWork(env.db, read_only=True) as uow:
        assert [row.email for row in uow.repository(UserRow).all()] == ["000@x.org", "new@x.org"]


def test_a_view_page_checks_its_cursor_as_a_models_page_does(env: Env) -> None:
    SeatRow = views(env).SeatRow
    with env.db.Session() as dbs:
        dbs.create_many(env.models.Seat, [{"row": r, "number": n} for r in "AB" for n in (1, 2)])
        seats = Repository(dbs, SeatRow)
        assert seats.page(3) == [SeatRow("A", 1), SeatRow("A", 2), SeatRow("B", 1)]
        assert seats.page(3, after=("A", 2)) == [SeatRow("B", 1), SeatRow("B", 2)]
        with pytest.raises(UsageError, match=r"after= has 'x' for Seat\.number"):
            seats.page(3, after=("A", "x"))
        with pytest.raises(UsageError, match="size must be an int of at least 1"):
            seats.page(0)


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_a_view_stream_raises_when_the_transaction_ends_mid_iteration(env: Env, ending: str) -> None:
    seed(env, 120)
    UserRow = views(env).UserRow
    seen: list[str] = []
    with env.db.Session() as dbs:
        with pytest.raises(StreamInterruptedError) as raised:
            for row in Repository(dbs, UserRow).stream(batch_size=20):
                seen.append(row.email)
                if len(seen) == 30:
                    with unbuffered_result_dropped(env):
                        ENDINGS[ending](dbs)
        assert raised.value.rows == 30 and raised.value.model is UserRow
        assert "while streaming UserRow after 30 rows" in str(raised.value)
    assert seen == [f"{n:03}@x.org" for n in range(30)]


def test_a_view_stream_sees_the_pending_objects_and_checks_its_arguments_when_called(env: Env) -> None:
    UserRow = views(env).UserRow
    with env.db.Session() as dbs:
        dbs.add(env.models.User(email="pending@x.org"))
        rows = Repository(dbs, UserRow)
        with pytest.raises(UsageError, match="batch_size"):
            rows.stream(batch_size=0)
        with pytest.raises(UsageError, match="emial"):
            rows.stream(emial="x")
        assert [row.email for row in rows.stream(email="pending@x.org")] == ["pending@x.org"]


def test_a_statement_inside_a_view_stream_is_refused_where_it_would_drop_the_rest(env: Env) -> None:
    seed(env, 10)
    UserRow = views(env).UserRow
    with env.db.Session() as dbs:
        rows = Repository(dbs, UserRow)
        if env.backend != "mariadb":
            assert sum(1 for _ in rows.stream(batch_size=3) if rows.first(name="n0")) == 10
            return
        with pytest.raises(UsageError, match="still reading on this connection"):
            for _ in rows.stream(batch_size=3):
                rows.first(name="n0")


def test_a_view_stream_keeps_memory_flat(env: Env) -> None:
    if env.engine_options:
        pytest.skip("the same stream whichever path create_or_first takes")
    count = 10_000
    with env.db.Session() as dbs:
        dbs.create_many(env.models.User, ({"email": f"{n}@x.org"} for n in range(count)), returning=False)
        dbs.commit()
    UserRow = views(env).UserRow
    with env.db.Session() as dbs:
        rows = Repository(dbs, UserRow)
        tracemalloc.start()
        try:
            streamed = sum(1 for _ in rows.stream(batch_size=500))
            _, streaming = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            loaded = len(rows.all())
            _, loading = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert streamed == loaded == count
    assert streaming < loading / 4, (streaming, loading)
