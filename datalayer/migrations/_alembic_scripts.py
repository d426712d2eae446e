"""What ``Alembic`` reads and prints: its revisions as Alembic's Scripts, and the Migrations it runs on."""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError

from ..database import Database
from ..errors import MigrationError, UsageError
from . import _config
from ._migrations import Migrations
from ._runner import RunState

__all__ = ["AlembicScripts", "MigrationsOf", "options_of"]

# sqla-wrapper's: <date>_<id>_<slug>.py
DEFAULT_FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s"
_OURS = ("script_location", "version_locations")


def options_of(options: Mapping[str, object]) -> dict[str, str]:
    """Alembic settings as ``Config.set_main_option`` takes them; UsageError naming a wrong one."""
    settings = {"file_template": DEFAULT_FILE_TEMPLATE}
    for key, value in options.items():
        if key in _OURS:
            raise UsageError(f"Alembic(db, path, {key}=...): the revision files are in path; leave {key} out")
        if not isinstance(value, str):
            raise UsageError(f"Alembic(db, path, {key}={value!r}): give the setting as text: {str(value)!r}")
        settings[key] = value
    return settings


class MigrationsOf(Migrations):
    """Migrations with Alembic settings, whose new revisions are written from ``directory/script.py.mako``."""

    def __init__(self, db: Database, directory: str | os.PathLike[str], options: Mapping[str, str]) -> None:
        super().__init__(db, directory)
        # The environment runs for every revision, empty ones too: it is what sets the template.
        self.options = {**options, "revision_environment": "true"}

    def revise(self, message: str, *, empty: bool, rev_id: str, head: str) -> Script:
        """Write a revision of id ``rev_id`` revising ``head``."""
        return self._revision(message, empty=empty, rev_id=rev_id, head=head)

    def move(self, action: str, target: str, *, sql: bool, **options: Any) -> None:
        """Run ``upgrade``, ``downgrade`` or ``stamp`` to ``target``; ``sql=True`` prints the SQL instead."""
        self._move(action, target, sql=sql, **options)

    def _config_for(self, state: RunState) -> Config:
        made = super()._config_for(attrs.evolve(state, template=self.directory))
        for key, value in self.options.items():
            try:
                made.set_main_option(key, value)
                made.get_main_option(key)  # the ConfigParser interpolates % as it reads
            except (ValueError, configparser.Error) as exc:
                raise UsageError(f"Alembic setting {key}={value!r}: {exc} (write a % as %%)") from exc
        return made


class AlembicScripts:
    """The revisions as Alembic's Scripts, each the same object every time it is returned."""

    path: Path
    config: Config
    script_directory: ScriptDirectory
    migrations: MigrationsOf
    files: frozenset[tuple[str, int]] | None = None  # those script_directory has read

    def get_current(self) -> Script | None:
        """The revision the database is at, or None (reads, then rolls back)."""
        current = self.migrations.current()
        return None if current is None else self.find(current, "the database is at revision")

    def current(self, verbose: bool = False) -> None:
        """Print the revision the database is at, if any; ``verbose`` adds its path and docstring."""
        _print(self.get_current(), verbose)

    def get_head(self) -> Script | None:
        """The newest revision, or None when there is none; MigrationError if there are several."""
        head = _config.single_head(self.read(), self.path)
        return None if head is None else self.find(head, "the head is revision")

    def head(self, verbose: bool = False) -> None:
        """Print the newest revision, if any; ``verbose`` adds its path and docstring."""
        _print(self.get_head(), verbose)

    def get_history(self, *, start: str | None = None, end: str | None = None) -> list[Script]:
        """The revisions from ``start`` to ``end`` included (either may be ``"current"``), oldest first."""
        if start == "current":
            current = self.get_current()
            start = current.revision if current else None
        if end == "current":
            current = self.get_current()
            end = current.revision if current else "heads"
        known = self.read()
        try:
            return list(known.walk_revisions(start or "base", end or "heads"))[::-1]
        except CommandError as exc:
            raise MigrationError(
                f"cannot list the revisions from {start or 'base'} to {end or 'heads'} in {self.path}: {exc}"
            ) from exc

    def history(
        self, *, verbose: bool = False, start: str | None = "base", end: str | None = "heads"
    ) -> None:
        """Print the revisions from ``start`` to ``end``, oldest first; ``verbose`` adds paths and docs."""
        for script in self.get_history(start=start, end=end):
            if verbose:
                print("-" * 20)
            _print(script, verbose)

    def read(self) -> ScriptDirectory:
        """``script_directory``, its revisions read: again if a revision file was added or changed since."""
        files = _files(self.path)
        if self.files is not None and files != self.files:
            self.script_directory = ScriptDirectory.from_config(self.config)
        self.files = files
        return _config.read(self.script_directory, self.path)

    def revisions(self) -> set[str]:
        """The ids of the directory's revisions."""
        return {script.revision for script in self.read().walk_revisions()}

    def find(self, revision: str, what: str) -> Script:
        """The Script of ``revision``: the same object each time, while no other code writes revisions."""
        try:
            return self.read().get_revision(revision)
        except CommandError as exc:
            raise MigrationError(f"{what} {revision}, which {self.path} does not have") from exc

    def remember(self, made: Script) -> Script:
        """``made``, just written, among the revisions read before it (if no other code wrote one too)."""
        if self.files is not None and _files(self.path) == self.files | _files(Path(made.path)):
            self.script_directory.revision_map.add_revision(made)
            self.files = _files(self.path)
            return made
        return self.find(made.revision, "the new revision is")


def _files(path: Path) -> frozenset[tuple[str, int]]:
    """The revision files under ``path`` (or ``path`` itself), each with the time it was last changed."""
    found = [path] if path.is_file() else path.rglob("*.py")
    return frozenset((str(file), file.stat().st_mtime_ns) for file in found)


def _print(script: Script | None, verbose: bool) -> None:
    if script is not None:
        print(script.cmd_format(verbose=verbose, include_doc=True, include_parents=True))
