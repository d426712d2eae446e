"""Migrations: Alembic's commands on one Database and one directory of revision files."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script
from alembic.util import CommandError

from ..database import Database
from ..errors import MigrationError
from . import _config
from ._diffs import describe
from ._runner import RunState, options

__all__ = ["Migrations"]


class Migrations:
    """The migrations of ``db``, whose revision files are in ``directory`` (created by the first revision).

    A relative ``directory`` is taken from the current directory when the object is made.

    Revisions are generated from ``db.metadata`` against the database. ``upgrade``,
    ``downgrade`` and ``stamp`` hold a database-wide lock while they run, so
    processes started together migrate one after the other (each waits at most
    ``lock_timeout`` seconds). Each revision runs in a transaction of its own,
    committed with its ``alembic_version`` row; none of them touches a session.

    Example::

        migrations = Migrations(db, "migrations")
        migrations.revision("add users")
        migrations.upgrade()
        assert migrations.current() == migrations.head()
    """

    def __init__(
        self, db: Database, directory: str | os.PathLike[str] = "migrations", *, lock_timeout: float = 300.0
    ) -> None:
        self.db = db
        self.directory = Path(directory).absolute()
        self.lock_timeout = lock_timeout

    def config(self, purpose: str = "upgrade") -> Config:
        """Alembic's Config of these migrations, for its other commands (``alembic.command.merge``...)."""
        return _config.config(self.directory, RunState(self.db, purpose, self.lock_timeout))

    def revision(self, message: str, *, empty: bool = False) -> str:
        """Write a revision file of the differences between ``db.metadata`` and the database; return its id.

        The database must be at the head revision (``upgrade()`` it first). With
        ``empty=True`` the revision's functions are left to be written (a data
        fix), and the database is not read. Nothing is written to the database.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        made = self.config("revision")
        _config.single_head(_config.scripts(made, self.directory), self.directory)
        script = self._run(
            "create a revision", command.revision, made, message=message, autogenerate=not empty
        )
        if not isinstance(script, Script):
            raise MigrationError(f"Alembic wrote no single revision for {message!r}: got {script!r}")
        return script.revision

    def upgrade(self, target: str = "head") -> None:
        """Apply the revisions up to ``target`` (any Alembic target: an id, ``+1``, ``head``).

        Each revision commits in its own transaction; a failing one is rolled back
        where the database's DDL is transactional (PostgreSQL, SQLite), and the
        ones before it stay applied. On MariaDB each DDL statement commits at
        once: a revision that fails half-way leaves its earlier statements
        applied, and ``alembic_version`` at the revision before it.
        """
        self._move("upgrade", command.upgrade, target)

    def downgrade(self, target: str = "-1") -> None:
        """Undo revisions down to ``target``: by default the last one; ``"base"`` undoes them all."""
        self._move("downgrade", command.downgrade, target)

    def stamp(self, target: str = "head") -> None:
        """Record ``target`` as the database's revision without running any revision (commits).

        Whatever revision the database was at is replaced, one this directory does
        not have included: that is how a database migrated by other code is adopted.
        """
        self._move("stamp", functools.partial(command.stamp, purge=True), target)

    def current(self) -> str | None:
        """The revision the database is at, or None when no revision was applied (reads, then rolls back)."""
        with self.db.engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
        if len(heads) > 1:
            raise MigrationError(f"the database is at several revisions at once: {', '.join(heads)}")
        return heads[0] if heads else None

    def head(self) -> str | None:
        """The newest revision of the directory, or None when there is none yet."""
        if not self.directory.is_dir():
            return None
        return _config.single_head(_config.scripts(self.config(), self.directory), self.directory)

    def history(self) -> list[str]:
        """The ids of the directory's revisions, newest first."""
        if not self.directory.is_dir():
            return []
        return [script.revision for script in _config.scripts(self.config(), self.directory).walk_revisions()]

    def check(self) -> list[str]:
        """The differences between ``db.metadata`` and the database, one line each; empty when they agree.

        The database must be at the head revision: after ``upgrade()``, a
        difference is a model changed without a revision. Reads only.
        """
        made = self.config("check")
        script = _config.revisions(self.directory, made, "check")
        head = _config.single_head(script, self.directory)
        with self.db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={**options(connection.dialect), "target_metadata": self.db.metadata}
            )
            current = context.get_current_heads()
            if current != (head,):
                at = ", ".join(current) or "base (no revision applied)"
                raise MigrationError(
                    f"cannot check: the database is at {at}, not at the head revision {head}: upgrade() it "
                    "first, then check() compares the models with the migrated database"
                )
            return describe(compare_metadata(context, self.db.metadata))

    def _move(self, action: str, run: Callable[..., Any], target: str) -> None:
        if not target.strip():
            raise MigrationError(
                f"cannot {action}: give a target revision (an id, 'head', 'base', '+1', '-1')"
            )
        made = self.config(action)
        script = _config.revisions(self.directory, made, action)
        if target == "head":
            _config.single_head(script, self.directory)
        _config.known_target(script, target, self.directory)
        self._run(f"{action} to {target!r}", run, made, target)

    def _run(self, action: str, run: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return run(*args, **kwargs)
        except CommandError as exc:
            raise MigrationError(f"cannot {action}: {exc}") from exc

    def __repr__(self) -> str:
        return f"Migrations({self.db!r}, {str(self.directory)!r})"
