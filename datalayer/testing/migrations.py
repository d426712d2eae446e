"""A test that a project's migrations go up and down, one revision at a time, and match its models.

Imports Alembic only when called: ``datalayer.testing`` needs no ``migrations`` extra.

.. versionadded:: 0.2
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import inspect

if TYPE_CHECKING:
    from ..database import Database
    from ..migrations import Migrations

__all__ = ["assert_migrations_round_trip"]

_Schema = dict[str, frozenset[str]]


def assert_migrations_round_trip(migrations: Migrations) -> None:
    """Upgrade an empty database to the head one revision at a time, down to base the same way, up again.

    Then ``migrations.check()`` must be empty: the models match the migrated
    database. After each downgrade, the tables and columns must be those from
    before that revision's upgrade. An ``AssertionError`` names the revision
    that broke, chained to its error. Every step commits: give it a database
    of its own (a scratch database, a temporary SQLite file).

    Example::

        def test_migrations_round_trip(tmp_path):
            db = Database(f"sqlite:///{tmp_path / 'app.db'}", model_class=Base)
            assert_migrations_round_trip(Migrations(db, "migrations"))
    """
    revisions = list(reversed(migrations.history()))  # oldest first
    if not revisions:
        raise AssertionError(f"{migrations.directory} holds no revision to round-trip")
    at = migrations.current()
    if at is not None:
        raise AssertionError(f"the round trip starts from an empty database, not one at revision {at}")
    before: list[_Schema] = []
    for revision in revisions:
        before.append(_schema(migrations.db))
        _step(migrations, "upgrade", "+1", revision, expected=revision)
    for index in reversed(range(len(revisions))):
        below = revisions[index - 1] if index else None
        _step(migrations, "downgrade", "-1", revisions[index], expected=below)
        left = _schema(migrations.db)
        if left != before[index]:
            raise AssertionError(
                f"the downgrade of revision {revisions[index]} does not undo its upgrade: "
                f"{_difference(before[index], left)}"
            )
    _step(migrations, "upgrade", "head", revisions[-1], expected=revisions[-1])
    differences = migrations.check()
    if differences:
        raise AssertionError(
            f"at the head revision {revisions[-1]}, the models and the database differ (a model changed "
            "without a revision?): " + "; ".join(differences)
        )


def _step(migrations: Migrations, action: str, target: str, revision: str, expected: str | None) -> None:
    try:
        getattr(migrations, action)(target)
    except Exception as exc:
        raise AssertionError(f"the {action} of revision {revision} failed: {exc}") from exc
    reached = migrations.current()
    if reached != expected:
        raise AssertionError(
            f"the {action} of revision {revision} left the database at {reached}, not {expected}"
        )


def _schema(db: Database) -> _Schema:
    found = inspect(db.engine)
    names = [name for name in found.get_table_names() if name != "alembic_version"]
    return {name: frozenset(column["name"] for column in found.get_columns(name)) for name in names}


def _difference(expected: _Schema, found: _Schema) -> str:
    parts = [f"table {name} is left" for name in sorted(found.keys() - expected.keys())]
    parts += [f"table {name} is gone" for name in sorted(expected.keys() - found.keys())]
    for name in sorted(expected.keys() & found.keys()):
        parts += [f"column {name}.{column} is left" for column in sorted(found[name] - expected[name])]
        parts += [f"column {name}.{column} is gone" for column in sorted(expected[name] - found[name])]
    return ", ".join(parts)
