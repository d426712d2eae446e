"""Migrations: Alembic's commands on one Database and one directory of revision files."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
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
        return self._config_for(RunState(self.db, purpose, self.lock_timeout))

    def _config_for(self, state: RunState) -> Config:
        """The Config every command runs with: where a subclass adds Alembic options."""
        return _config.config(self.directory, state)

    def revision(self, message: str, *, empty: bool = False) -> str:
        """Write a revision file of the differences between ``db.metadata`` and the database; return its id.

        The database must be at the head revision (``upgrade()`` it first). With
        ``empty=True`` the revision's functions are left to be written (a data
        fix), and the database is not read. Nothing is written to the database.
        """
        return self._revision(message, empty=empty).revision

    def _revision(
        self, message: str, *, empty: bool, rev_id: str | None = None, head: str = "head"
    ) -> Script:
        """``revision()``, with the new revision's id (by default a random one) and the one it revises."""
        self.directory.mkdir(parents=True, exist_ok=True)
        made = self.config("empty revision" if empty else "revision")
        known = _config.scripts(made, self.directory)
        _config.single_head(known, self.directory)
        if rev_id is not None:
            _config.new_id(known, rev_id, self.directory)
        wanted = {"message": message, "autogenerate": not empty, "rev_id": rev_id, "head": head}
        script = self._run("create a revision", command.revision, made, **wanted)
        if not isinstance(script, Script):
            raise MigrationError(f"Alembic wrote no single revision for {message!r}: got {script!r}")
        return script

    def upgrade(self, target: str = "head") -> None:
        """Apply the revisions up to ``target`` (any Alembic target: an id, ``+1``, ``head``).

        Each revision commits in its own transaction; a failing one is rolled back
        where the database's DDL is transactional (PostgreSQL, SQLite), and the
        ones before it stay applied. On MariaDB each DDL statement commits at
        once: a revision that fails half-way leaves its earlier statements
        applied, and ``alembic_version`` at the revision before it.
        """
        self._move("upgrade", target)

    def downgrade(self, target: str = "-1") -> None:
        """Undo revisions down to ``target``: by default the last one; ``"base"`` undoes them all."""
        self._move("downgrade", target)

    def stamp(self, target: str = "head") -> None:
        """Record ``target`` as the database's revision without running any revision (commits).

        Whatever revision the database was at is replaced, one this directory does
        not have included: that is how a database migrated by other code is adopted.
        """
        self._move("stamp", target, purge=True)

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

    def _move(
        self,
        action: str,
        target: str,
        *,
        sql: bool = False,
        arguments: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> None:
        """Run Alembic's command ``action`` to ``target``, with the command's ``options``.

        ``sql=True`` writes the SQL to standard output instead of running it, and
        ``target`` may then be a ``from:to`` range; ``arguments`` are given to each
        revision's ``upgrade()`` or ``downgrade()``.
        """
        if not target.strip():
            raise MigrationError(
                f"cannot {action}: give a target revision (an id, 'head', 'base', '+1', '-1')"
            )
        if sql and target.startswith(":"):
            target = f"base{target}"  # Alembic's commands fail on an empty start
        state = RunState(self.db, action, self.lock_timeout, arguments=dict(arguments or {}))
        made = self._config_for(state)
        script = _config.revisions(self.directory, made, action)
        for named in filter(None, target.split(":") if sql else [target]):  # sql: "from:to" too
            if named == "head":
                _config.single_head(script, self.directory)
            _config.known_target(script, named, self.directory)
        run: Callable[..., Any] = getattr(command, action)
        self._run(f"{action} to {target!r}", run, made, target, sql=sql, **options)

    def _run(self, action: str, run: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return run(*args, **kwargs)
        except CommandError as exc:
            raise MigrationError(f"cannot {action}: {exc}") from exc

    def __repr__(self) -> str:
        return f"Migrations({self.db!r}, {str(self.directory)!r})"
