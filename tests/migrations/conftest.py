"""A fresh database per test (a temporary SQLite file, a scratch database on each server) and its models."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import ForeignKey, String, create_engine, inspect
from sqlalchemy.orm import Mapped, mapped_column

from datalayer import Database
from datalayer.migrations import Migrations
from datalayer.testing import create_scratch_database, drop_scratch_database
from tests.conftest import SERVER_URL_VARIABLES


def backends(*names: str) -> list[object]:
    """The parameters of ``names`` (default: every backend): SQLite, and each server whose URL is set."""
    wanted = names or ("sqlite", *SERVER_URL_VARIABLES)
    return [
        name if name == "sqlite" else pytest.param(name, marks=pytest.mark.servers)
        for name in wanted
        if name == "sqlite" or os.environ.get(SERVER_URL_VARIABLES[name])
    ]


@dataclass
class Where:
    """A fresh database of one backend: its URL, a Database on it, and a migrations directory."""

    backend: str
    url: str
    db: Database
    directory: Path

    def migrations(self, **options: float) -> Migrations:
        return Migrations(self.db, self.directory, **options)

    def migrated(self, message: str) -> Migrations:
        """The models so far in a first revision, upgraded to; then a fresh Database for the new models."""
        migrations = self.migrations()
        migrations.revision(message)
        migrations.upgrade()
        self.db.dispose()
        self.db = Database(self.url)  # the models change next: declared again, on a new base
        return migrations

    def tables(self) -> set[str]:
        engine = create_engine(self.url)
        try:
            return set(inspect(engine).get_table_names())
        finally:
            engine.dispose()


def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.db'}"
        return
    server = os.environ[SERVER_URL_VARIABLES[backend]]
    url = create_scratch_database(server, prefix="dl_mig_")
    try:
        yield url
    finally:
        drop_scratch_database(url, server)


@pytest.fixture(params=backends())
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Where]:
    """A fresh database on each backend in turn, with an empty Database (no models yet)."""
    for url in fresh_url(request.param, tmp_path):
        made = Where(request.param, url, Database(url), tmp_path / "migrations")
        try:
            yield made
        finally:
            made.db.dispose()  # the test may have put another Database there


def define_users(db: Database, *, nickname: bool = False) -> type[object]:
    """A users table (unique email); ``nickname`` adds a column."""
    namespace: dict[str, object] = {
        "__tablename__": "users",
        "__annotations__": {"id": Mapped[int], "email": Mapped[str]},
        "id": mapped_column(primary_key=True),
        "email": mapped_column(String(100), unique=True),
    }
    if nickname:
        namespace["__annotations__"]["nickname"] = Mapped[str | None]  # type: ignore[index]
        namespace["nickname"] = mapped_column(String(50))
    return type("User", (db.Model,), namespace)


def define_orders(db: Database) -> type[object]:
    """An orders table referencing users."""
    return type(
        "Order",
        (db.Model,),
        {
            "__tablename__": "orders",
            "__annotations__": {"id": Mapped[int], "user_id": Mapped[int]},
            "id": mapped_column(primary_key=True),
            "user_id": mapped_column(ForeignKey("users.id"), index=True),
        },
    )


def write_revision(
    directory: Path, revision: str, down: str | None, upgrade: str, downgrade: str = "pass"
) -> Path:
    """A hand-written revision file: ``upgrade`` and ``downgrade`` are function bodies."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{revision}_hand_written.py"
    lines = [
        f'"""hand-written {revision}"""',
        "import sqlalchemy as sa",
        "from alembic import op",
        f"revision = {revision!r}",
        f"down_revision = {down!r}",
        "branch_labels = None",
        "depends_on = None",
        "",
        "def upgrade():",
        textwrap.indent(textwrap.dedent(upgrade).strip(), "    "),
        "",
        "def downgrade():",
        textwrap.indent(textwrap.dedent(downgrade).strip(), "    "),
        "",
    ]
    path.write_text("\n".join(lines))
    return path
