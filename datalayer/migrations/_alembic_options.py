"""The Migrations ``Alembic`` runs on: sqla-wrapper's Alembic settings, new revisions from its template."""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from typing import Any

import attrs
from alembic.config import Config
from alembic.script import Script

from ..database import Database
from ..errors import UsageError
from ._migrations import Migrations
from ._runner import RunState

__all__ = ["MigrationsOf", "options_of"]

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
