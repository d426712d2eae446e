"""Alembic's Config for a migrations directory, built in code, and the checks made before a command runs."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from ..errors import MigrationError
from ._runner import STATE, RunState

__all__ = ["ENVIRONMENT", "config", "known_target", "new_id", "read", "revisions", "scripts", "single_head"]

ENVIRONMENT = Path(__file__).resolve().parent / "environment"
"""Alembic's ``script_location``: the shipped ``env.py`` and ``script.py.mako``."""

# <date>_<time>_<id>_<slug>.py: a directory listing reads in the order the revisions were made.
_FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"
_RELATIVE = re.compile(r"(?:(?P<branch>.+?)@)?(?P<base>\w+)?(?P<step>[+-]\d+)")
_SYMBOLIC = frozenset({"head", "heads", "base"})


def config(directory: Path, state: RunState) -> Config:
    """A Config whose revision files are in ``directory``, running on ``state``'s Database."""
    made = Config(cmd_opts=argparse.Namespace(quiet=True))
    made.set_main_option("script_location", _escaped(str(ENVIRONMENT)))
    made.set_main_option("path_separator", "newline")
    made.set_main_option("version_locations", _escaped(str(directory)))
    made.set_main_option("file_template", _FILE_TEMPLATE)
    made.attributes[STATE] = state
    return made


def _escaped(value: str) -> str:
    return value.replace("%", "%%")  # the ConfigParser interpolates %(name)s


def revisions(directory: Path, made: Config, action: str) -> ScriptDirectory:
    """The revisions in ``directory``; MigrationError if there is none to ``action`` with."""
    if not directory.is_dir():
        raise MigrationError(
            f"cannot {action}: there is no migrations directory {directory}. Create the first revision "
            "with Migrations.revision('...') or `datalayer db revision -m '...'`"
        )
    script = scripts(made, directory)
    if not script.get_heads():
        raise MigrationError(
            f"cannot {action}: {directory} holds no revision. Create one with Migrations.revision('...') "
            "or `datalayer db revision -m '...'`"
        )
    return script


def scripts(made: Config, directory: Path) -> ScriptDirectory:
    """The revisions of ``directory``, read; MigrationError naming a file Alembic cannot read as one."""
    return read(ScriptDirectory.from_config(made), directory)


def read(script: ScriptDirectory, directory: Path) -> ScriptDirectory:
    """``script`` with its revisions read (once); MigrationError naming a file Alembic cannot read as one."""
    try:
        script.get_heads()  # reads every revision file
    except CommandError as exc:
        raise MigrationError(
            f"cannot read the revisions in {directory}: {exc}. Every .py file there must be a revision "
            "(move other files elsewhere)"
        ) from exc
    return script


def single_head(script: ScriptDirectory, directory: Path) -> str | None:
    """The head revision; MigrationError when several revisions revise the same one."""
    heads = script.get_heads()
    if len(heads) > 1:
        raise MigrationError(
            f"{directory} has several head revisions ({', '.join(sorted(heads))}): two revisions revise "
            "the same one, as when two branches each added a revision. Make one of them revise the "
            "other (set its down_revision to the other's id), or merge them: "
            "alembic.command.merge(migrations.config(), 'heads')"
        )
    return heads[0] if heads else None


def new_id(script: ScriptDirectory, rev_id: str, directory: Path) -> None:
    """MigrationError if ``directory`` has a revision ``rev_id`` already."""
    if rev_id in {revision.revision for revision in script.walk_revisions()}:
        raise MigrationError(
            f"cannot create a revision with the id {rev_id!r}: {directory} has a revision of that id "
            "already; give another id"
        )


def known_target(script: ScriptDirectory, target: str, directory: Path) -> None:
    """MigrationError if ``target`` names a revision that ``directory`` does not have."""
    relative = _RELATIVE.fullmatch(target)
    named = relative.group("base") if relative else target
    if named is None or named in _SYMBOLIC:
        return
    try:
        script.get_revision(named)
    except CommandError as exc:  # Alembic's word for an unknown or ambiguous id
        raise MigrationError(_unknown(target, script, directory)) from exc


def _unknown(target: str, script: ScriptDirectory, directory: Path) -> str:
    known = [revision.revision for revision in script.walk_revisions()]
    return (
        f"no revision {target!r} in {directory}: give one of its revisions "
        f"({', '.join(known[:10])}{', ...' if len(known) > 10 else ''}, newest first), "
        "'head', 'base', or a relative step such as '-1'"
    )
