"""The project the ``datalayer db`` commands work on: its pyproject.toml settings and its Database.

``[tool.datalayer]`` in the nearest pyproject.toml (from the current directory
upward) may give ``app = "module:attribute"`` (the Database) and
``migrations = "directory"`` (relative to that file; default ``migrations``).
"""

from __future__ import annotations

import importlib
import sys
import tomllib
from pathlib import Path

import attrs

from .database import Database

__all__ = ["AppError", "Project", "find", "load_app"]


class AppError(Exception):
    """The project's settings or its ``--app`` do not lead to a Database; the message says why."""


@attrs.frozen
class Project:
    """Where the project is, and what its pyproject.toml says (if it has a ``[tool.datalayer]`` table)."""

    root: Path
    app: str | None
    migrations: Path


def find(start: Path) -> Project:
    """The nearest pyproject.toml's ``[tool.datalayer]`` settings, or the defaults at ``start``."""
    for directory in (start, *start.parents):
        path = directory / "pyproject.toml"
        if not path.is_file():
            continue
        try:
            settings = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("datalayer")
        except tomllib.TOMLDecodeError as exc:
            raise AppError(f"{path} is not valid TOML: {exc}") from exc
        if settings is None:
            continue
        app, migrations = settings.get("app"), settings.get("migrations", "migrations")
        if not isinstance(app, str | None) or not isinstance(migrations, str):
            raise AppError(f'{path}: [tool.datalayer] app and migrations are strings ("module:attribute")')
        return Project(directory, app, directory / migrations)
    return Project(start, None, start / "migrations")


def load_app(spec: str | None, root: Path) -> Database:
    """The Database that ``spec`` (``module:attribute``) names, imported with ``root`` on ``sys.path``."""
    if not spec:
        raise AppError(
            "no Database to migrate: pass --app module:attribute (e.g. --app myapp.models:db), or set "
            'app = "myapp.models:db" under [tool.datalayer] in pyproject.toml'
        )
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise AppError(f"--app {spec!r} is not module:attribute (e.g. myapp.models:db)")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        value: object = importlib.import_module(module_name)
    except ImportError as exc:
        raise AppError(
            f"cannot import {module_name!r} (from --app {spec}): {exc}; run from the project's directory "
            "or put it on PYTHONPATH"
        ) from exc
    for name in attribute.split("."):
        try:
            value = getattr(value, name)
        except AttributeError as exc:
            raise AppError(
                f"{spec}: {type(value).__name__} {module_name!r} has no attribute {name!r}"
            ) from exc
    if not isinstance(value, Database):
        raise AppError(f"{spec} is {type(value).__name__}, not a datalayer Database (datalayer.Database)")
    return value
