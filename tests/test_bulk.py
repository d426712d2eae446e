"""create_many, stream and page: many rows at once."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from datalayer.errors import ConflictError, UnknownAttributeError, UsageError
from datalayer.testing import count_queries
from repositories import Repository
from tests.conftest import Env


def test_create_many_returns_the_objects_in_order_with_their_defaults(env: Env) -> None:
    with env.db.Session() as dbs:
        rows = [{"email": f"u{n}@x.org", "name": f"U{n}"} for n in range(250)]
        users = dbs.create_many(env.m.User, rows)
        assert [u.email for u in users] == [row["email"] for row in rows]
        assert all(u.id is not None and u.created_at is not None for u in users)
        assert users[10] is dbs.get(env.m.User, users[10].id)
        assert dbs.create_many(env.m.User, []) == []
        dbs.commit()
    with env.db.Session() as dbs:
        assert len(dbs.all(env.m.User)) == 250


def test_create_many_batches_its_statements(env: Env) -> None:
    with env.db.Session() as dbs, count_queries(env.db) as log:
        Repository(dbs, env.m.Tag).create_many({"label": f"t{n}"} for n in range(2000))
    assert len(log) < 20  # batched, not one INSERT per row


def test_create_many_refuses_unknown_attributes_and_reports_conflicts(env: Env) -> None:
    with env.db.Session() as dbs:
        with pytest.raises(UnknownAttributeError, match="emial"):
            dbs.create_many(env.m.User, [{"email": "a@x.org"}, {"emial": "b@x.org"}])
        assert dbs.all(env.m.User) == []
        with pytest.raises(ConflictError) as raised:
            dbs.create_many(env.m.User, [{"email": "same@x.org"}, {"email": "same@x.org"}])
        assert isinstance(raised.value.__cause__, IntegrityError)


def test_stream_yields_every_match_in_primary_key_order(env: Env) -> None:
    with env.db.Session() as dbs:
        dbs.create_many(env.m.Tag, [{"label": f"t{n:04}"} for n in range(1200)])
        dbs.commit()
        labels = [tag.label for tag in Repository(dbs, env.m.Tag).stream(batch_size=100)]
        assert labels == [f"t{n:04}" for n in range(1200)]
        assert [t.label for t in Repository(dbs, env.m.Tag).stream(label="t0007")] == ["t0007"]


def test_page_walks_the_table_by_primary_key(env: Env) -> None:
    with env.db.Session() as dbs:
        tags = Repository(dbs, env.m.Tag)
        tags.create_many({"label": f"t{n:03}"} for n in range(95))
        seen: list[str] = []
        after = None
        while page := tags.page(size=20, after=after):
            seen += [tag.label for tag in page]
            after = page[-1].id
        assert seen == [f"t{n:03}" for n in range(95)]
        with pytest.raises(UsageError, match="size must be an int of at least 1"):
            tags.page(size=0)
        with pytest.raises(UsageError, match="needs 1 primary key values"):
            tags.page(size=5, after=(1, 2))


def test_a_deep_keyset_page_runs_the_same_single_statement(env: Env) -> None:
    with env.db.Session() as dbs:
        tags = Repository(dbs, env.m.Tag)
        created = tags.create_many({"label": f"t{n}"} for n in range(300))
        with count_queries(env.db) as first, count_queries(env.db):
            tags.page(size=10)
        with count_queries(env.db) as deep:
            assert [t.id for t in tags.page(size=10, after=created[199].id)] == [
                t.id for t in created[200:210]
            ]
        assert len(first) == len(deep) == 1
        assert " > " in deep.statements[0] and len(first.statements[0]) < len(deep.statements[0])
