"""The fixtures of sqla-wrapper's tests of its Alembic wrapper, on datalayer: ``memdb`` and ``dst``.

sqla-wrapper's ``memdb`` was ``SQLAlchemy("sqlite://")``; here it is ``Database("sqlite://")``, then a
fresh database on each server whose URL is set (dropped after the test), so the same tests run on
SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from datalayer import Database
from tests.migrations.conftest import backends, fresh_url


@pytest.fixture(params=backends())
def memdb(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database: SQLite in memory, or a scratch database on a server."""
    urls = iter(["sqlite://"]) if request.param == "sqlite" else fresh_url(request.param, tmp_path)
    for url in urls:
        db = Database(url)
        try:
            yield db
        finally:
            db.dispose()


@pytest.fixture
def dst(tmp_path: Path) -> Path:
    """An empty directory of the test's own, removed with ``tmp_path``."""
    made = tmp_path / "dst"
    made.mkdir()
    return made.resolve()
