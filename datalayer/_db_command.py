"""The ``datalayer db`` commands: the project's migrations (needs the ``migrations`` extra: Alembic).

Exit codes: 0 done (``check``: models and database agree), 1 a migration error
(``check``: they differ), 2 the project's settings or its ``--app`` are wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from . import _project, _urls
from .errors import MigrationError

if TYPE_CHECKING:
    from .migrations import Migrations

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> None:
    """Add ``db`` and its commands to the ``datalayer`` command's ``commands`` (its subparsers)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--app",
        metavar="MODULE:ATTR",
        default=argparse.SUPPRESS,
        help="the Database, e.g. myapp.models:db (default: app under [tool.datalayer] in pyproject.toml)",
    )
    common.add_argument(
        "--directory",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="the revision files' directory (default: migrations under [tool.datalayer], or ./migrations)",
    )
    db = commands.add_parser(
        "db",
        parents=[common],
        help="migrate the database (Alembic)",
        description="The migrations of the project's Database, on Alembic.",
    )
    sub = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    sub.add_parser("init", parents=[common], help="create the migrations directory")
    revision = sub.add_parser(
        "revision", parents=[common], help="write a revision of what the models changed"
    )
    revision.add_argument("-m", "--message", required=True, help="what the revision does")
    revision.add_argument("--empty", action="store_true", help="an empty revision, to write by hand")
    for name, default, what in (("upgrade", "head", "apply"), ("downgrade", "-1", "undo")):
        parser = sub.add_parser(name, parents=[common], help=f"{what} revisions (default: to {default})")
        parser.add_argument("target", nargs="?", default=default, help=f"a revision (default: {default})")
    stamp = sub.add_parser("stamp", parents=[common], help="record a revision without running it")
    stamp.add_argument("target", help="a revision, head or base")
    sub.add_parser("current", parents=[common], help="print the database's revision")
    sub.add_parser("head", parents=[common], help="print the newest revision")
    sub.add_parser("history", parents=[common], help="print the revisions, newest first")
    sub.add_parser(
        "check", parents=[common], help="exit 1 and print the differences if models and database differ"
    )


def run(args: argparse.Namespace) -> int:
    """Run the ``db`` command of ``args``; return its exit code."""
    try:
        project = _project.find(Path.cwd())
        given = getattr(args, "directory", None)
        directory = Path(given).absolute() if given else project.migrations
        if args.db_command == "init":
            return _init(directory)
        from .migrations import Migrations

        db = _project.load_app(getattr(args, "app", None) or project.app, project.root)
    except (_project.AppError, ImportError) as exc:
        return _fail(str(exc), status=2)
    try:
        return _COMMANDS[args.db_command](Migrations(db, directory), args)
    except MigrationError as exc:
        return _fail(str(exc))
    except SQLAlchemyError as exc:
        cause = exc.orig if isinstance(exc, DBAPIError) else exc
        return _fail(_urls.hide_credentials(f"{type(cause).__name__}: {cause}", db.url))
    finally:
        db.dispose()


def _init(directory: Path) -> int:
    if directory.is_dir():
        print(f"{directory} already exists")
    else:
        directory.mkdir(parents=True)
        print(f"created {directory}: `datalayer db revision -m MESSAGE` writes the first revision there")
    return 0


def _revision(migrations: Migrations, args: argparse.Namespace) -> int:
    made = migrations.revision(args.message, empty=args.empty)
    [path] = migrations.directory.glob(f"*{made}_*.py")
    print(f"created revision {made}: {path}")
    return 0


def _moved(
    action: str, move: Callable[[Migrations, str], None]
) -> Callable[[Migrations, argparse.Namespace], int]:
    def command(migrations: Migrations, args: argparse.Namespace) -> int:
        move(migrations, args.target)
        print(f"{action}: the database is at {migrations.current() or 'base (no revision applied)'}")
        return 0

    return command


def _print(
    value: Callable[[Migrations], str | None], none: str
) -> Callable[[Migrations, argparse.Namespace], int]:
    def command(migrations: Migrations, _args: argparse.Namespace) -> int:
        print(value(migrations) or none)
        return 0

    return command


def _history(migrations: Migrations, _args: argparse.Namespace) -> int:
    for revision in migrations.history():
        print(revision)
    return 0


def _check(migrations: Migrations, _args: argparse.Namespace) -> int:
    differences = migrations.check()
    if not differences:
        print("the models and the database agree")
        return 0
    print("the models and the database differ (write a revision: datalayer db revision -m MESSAGE):")
    for line in differences:
        print(f"  {line}")
    return 1


_COMMANDS: dict[str, Callable[[Migrations, argparse.Namespace], int]] = {
    "revision": _revision,
    "upgrade": _moved("upgraded", lambda migrations, target: migrations.upgrade(target)),
    "downgrade": _moved("downgraded", lambda migrations, target: migrations.downgrade(target)),
    "stamp": _moved("stamped", lambda migrations, target: migrations.stamp(target)),
    "current": _print(lambda migrations: migrations.current(), "none (no revision applied)"),
    "head": _print(lambda migrations: migrations.head(), "none (no revision yet)"),
    "history": _history,
    "check": _check,
}


def _fail(message: str, status: int = 1) -> int:
    print(f"datalayer db: error: {message}", file=sys.stderr)
    return status
