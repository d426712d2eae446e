"""What ``Alembic`` reads and prints: its revisions as Alembic's Scripts, each read once per call."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError

from ..errors import MigrationError
from . import _config
from ._alembic_options import MigrationsOf

__all__ = ["AlembicScripts"]


class AlembicScripts:
    """The revisions as Alembic's Scripts, each the same object every time it is returned."""

    path: Path
    config: Config
    script_directory: ScriptDirectory
    migrations: MigrationsOf
    files: frozenset[tuple[str, int]] | None = None  # those script_directory has read

    def get_current(self) -> Script | None:
        """The revision the database is at, or None (reads, then rolls back)."""
        return self._current(None)

    def current(self, verbose: bool = False) -> None:
        """Print the revision the database is at, if any; ``verbose`` adds its path and docstring."""
        _print(self.get_current(), verbose)

    def get_head(self) -> Script | None:
        """The newest revision, or None when there is none; MigrationError if there are several."""
        known = self.read()
        head = _config.single_head(known, self.path)
        return None if head is None else self.find(head, "the head is revision", known)

    def head(self, verbose: bool = False) -> None:
        """Print the newest revision, if any; ``verbose`` adds its path and docstring."""
        _print(self.get_head(), verbose)

    def get_history(self, *, start: str | None = None, end: str | None = None) -> list[Script]:
        """The revisions from ``start`` to ``end`` included (either may be ``"current"``), oldest first."""
        known = self.read()
        if "current" in (start, end):
            current = self._current(known)
            at = current.revision if current else None
            start = at if start == "current" else start
            end = (at or "heads") if end == "current" else end
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
        return self._read(_files(self.path))

    def revisions(self) -> set[str]:
        """The ids of the directory's revisions."""
        return {script.revision for script in self.read().walk_revisions()}

    def find(self, revision: str, what: str, known: ScriptDirectory | None = None) -> Script:
        """The Script of ``revision``: the same object each time, while no other code writes revisions.

        ``known``: the directory as :meth:`read` returned it during this call (else it is read now).
        """
        try:
            return (known if known is not None else self.read()).get_revision(revision)
        except CommandError as exc:
            raise MigrationError(f"{what} {revision}, which {self.path} does not have") from exc

    def remember(self, made: Script) -> Script:
        """``made``, just written, among the revisions read before it (if no other code wrote one too)."""
        files = _files(self.path)
        if self.files is not None and files == self.files | _files(Path(made.path)):
            self.script_directory.revision_map.add_revision(made)
            self.files = files
            return made
        return self.find(made.revision, "the new revision is", self._read(files))

    def _read(self, files: frozenset[tuple[str, int]]) -> ScriptDirectory:
        """:meth:`read`, given the revision files as :func:`_files` found them just now."""
        if self.files is not None and files != self.files:
            self.script_directory = ScriptDirectory.from_config(self.config)
        self.files = files
        return _config.read(self.script_directory, self.path)

    def _current(self, known: ScriptDirectory | None) -> Script | None:
        current = self.migrations.current()
        return None if current is None else self.find(current, "the database is at revision", known)


def _files(path: Path) -> frozenset[tuple[str, int]]:
    """The revision files under ``path`` (or ``path`` itself), each with the time it was last changed."""
    found = [path] if path.is_file() else path.rglob("*.py")
    return frozenset((str(file), file.stat().st_mtime_ns) for file in found)


def _print(script: Script | None, verbose: bool) -> None:
    if script is not None:
        print(script.cmd_format(verbose=verbose, include_doc=True, include_parents=True))
