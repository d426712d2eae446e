"""Repositories of views behave alike on the fakes and on every real backend."""

from __future__ import annotations

import pytest

from datalayer.errors import NotFoundError, StreamInterruptedError, UsageError
from datalayer.testing.fakes import FakeRepository
from tests._views import views_of
from tests.test_shared_behaviour import Backend, backend, fake_models

__all__ = ["backend", "fake_models"]  # the fixtures, for pytest


def test_a_view_repository_reads_the_models_rows_as_views(backend: Backend) -> None:
    v = views_of(backend.models)
    with backend.unit() as uow:
        users = uow.repository(backend.models.User)
        ann, bob, cid = (users.create(email=f"{name}@x.org", name=name) for name in ("ann", "bob", "cid"))
        rows = uow.repository(v.UserRow)
        assert rows.model is v.UserRow
        assert rows.get(bob.id) == v.UserRow(bob.id, "bob@x.org")
        assert rows.get(id=ann.id) == v.UserRow(ann.id, "ann@x.org")
        assert rows.get(-1) is None
        with pytest.raises(NotFoundError, match="no UserRow with primary key -1"):
            rows.get_one(-1)
        assert rows.first(name="cid") == v.UserRow(cid.id, "cid@x.org")
        assert rows.all() == [v.UserRow(u.id, u.email) for u in (ann, bob, cid)]
        assert rows.count() == 3 and rows.exists(name="bob") and not rows.exists(name="dan")
        assert rows.page(2, after=ann.id) == [v.UserRow(bob.id, "bob@x.org"), v.UserRow(cid.id, "cid@x.org")]
        assert list(rows.stream(batch_size=2, name="ann")) == [v.UserRow(ann.id, "ann@x.org")]
        assert uow.repository(v.UserPair).all(name="bob") == [v.UserPair(bob.id, "bob")]
        assert rows.first(id=ann.id) != ann  # a view, not the object


def test_a_view_repository_refuses_writes_with_the_same_words(backend: Backend) -> None:
    v = views_of(backend.models)
    with backend.unit() as uow:
        rows = uow.repository(v.UserRow)
        with pytest.raises(UsageError) as raised:
            rows.create(email="a@x.org")
        assert str(raised.value).endswith(
            "create() writes, and UserRow is a view of User: views are read-only; write through a "
            "Repository[User]"
        )
        for write in (
            lambda: rows.create_many([{"email": "a@x.org"}]),
            lambda: rows.upsert(match="email", email="a@x.org"),
            lambda: rows.delete(v.UserRow(1, "a@x.org")),
        ):
            with pytest.raises(UsageError, match="views are read-only"):
                write()
        assert uow.repository(backend.models.User).count() == 0


def test_a_view_stream_ends_loudly_when_its_unit_commits(backend: Backend) -> None:
    v = views_of(backend.models)
    with backend.unit() as uow:
        uow.repository(backend.models.User).create_many([{"email": f"{n}@x.org"} for n in range(3)])
    warns = pytest.warns(UserWarning, match="unbuffered") if backend.name == "mariadb" else None
    with (
        pytest.raises(StreamInterruptedError, match="while streaming UserRow after 1 rows"),
        backend.unit() as uow,
    ):
        for _row in uow.repository(v.UserRow).stream(batch_size=1):
            if warns is None:
                uow.commit()
            else:
                with warns:
                    uow.commit()


def test_a_standalone_fake_of_a_view_reads_its_own_sessions_objects(backend: Backend) -> None:
    if backend.name != "fake":
        pytest.skip("the standalone fake is the fakes' own")
    v = views_of(backend.models)
    users = FakeRepository(backend.models.User)
    ann = users.create(email="ann@x.org")
    assert FakeRepository(v.UserRow, session=users.session).all() == [v.UserRow(ann.id, "ann@x.org")]
