"""What the Flask and FastAPI recipe tests share: the page's blocks run as modules on each database."""

from __future__ import annotations

import os
import re
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from datalayer import Database
from datalayer.testing import create_scratch_database, drop_scratch_database
from tests.conftest import SERVER_URL_VARIABLES

PAGE = Path(__file__).resolve().parent.parent / "docs" / "recipes.md"
TITLED = re.compile(r'^```python title="(?P<title>[^"]+)"\n(?P<code>.*?)^```', re.MULTILINE | re.DOTALL)
BACKENDS = ["sqlite", *(name for name, variable in SERVER_URL_VARIABLES.items() if os.environ.get(variable))]


def titled_blocks() -> dict[str, tuple[str, int]]:
    """Each titled ```python block of the page: its code and the line it starts on."""
    text = PAGE.read_text()
    return {m["title"]: (m["code"], text.count("\n", 0, m.start()) + 2) for m in TITLED.finditer(text)}


def execute(code: str, line: int, name: str) -> types.ModuleType:
    """Run a block as the module ``name``, registered so that the next block can import it."""
    module = types.ModuleType(name)
    module.__file__ = str(PAGE)
    sys.modules[name] = module
    exec(compile("\n" * (line - 1) + code, str(PAGE), "exec"), module.__dict__)
    return module


@dataclass
class Recipe:
    backend: str
    models: Any
    app_module: Any
    Note: Any  # a test-only table whose foreign key is checked at COMMIT

    @property
    def db(self) -> Database:
        return self.models.db  # type: ignore[no-any-return]

    def checked_out(self) -> int:
        return int(self.db.engine.pool.checkedout())  # type: ignore[attr-defined]

    def emails(self) -> list[str]:
        with self.db.Session() as dbs:
            return [user.email for user in dbs.all(self.models.User)]


@pytest.fixture(scope="module", params=BACKENDS)
def recipe_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """The backend, and the URL of a database of this module's own on it."""
    backend: str = request.param
    if backend == "sqlite":
        yield backend, f"sqlite:///{tmp_path_factory.mktemp('recipes') / 'app.db'}"
        return
    server = os.environ[SERVER_URL_VARIABLES[backend]]
    url = create_scratch_database(server)
    try:
        yield backend, url
    finally:
        drop_scratch_database(url, server)


@contextmanager
def open_recipe(
    database: tuple[str, str], app_block: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Recipe]:
    """The page's ``models.py`` and ``app_block`` run as modules on ``database``; tables dropped after."""
    backend, url = database
    monkeypatch.setenv("DATABASE_URL", url)
    blocks = titled_blocks()
    names = ("models", app_block.removesuffix(".py"))
    saved = {name: sys.modules.pop(name, None) for name in names}
    models = execute(*blocks["models.py"], "models")
    db: Database = models.db
    try:
        app_module = execute(*blocks[app_block], names[1])
        note: Any = None
        if backend != "mariadb":  # MariaDB has no deferred constraints

            class Note(db.Model):
                __tablename__ = "recipe_notes"
                id: Mapped[int] = mapped_column(primary_key=True)
                user_id: Mapped[int] = mapped_column(
                    ForeignKey("users.id", deferrable=True, initially="DEFERRED")
                )

            note = Note

        db.drop_all()
        db.create_all()
        yield Recipe(backend, models, app_module, note)
    finally:
        db.drop_all()
        db.dispose()
        for name, module in saved.items():
            sys.modules.pop(name, None)
            if module is not None:
                sys.modules[name] = module
