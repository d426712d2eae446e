"""The ``datalayer`` console command.

``datalayer demo`` runs a worked example (models, repositories, a unit of work
that commits and one that rolls back, every session helper, the scoped
session) and prints each step. It uses a SQLite file in a fresh temporary
directory, or the database given with ``--url``; there it creates its own
``demo_`` tables and drops them at the end. Passwords are never printed.

``datalayer db init|revision|upgrade|downgrade|current|head|history|stamp|check``
migrates the project's Database (``--app module:attr``, or ``app`` under
``[tool.datalayer]`` in pyproject.toml): see ``datalayer db --help``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from sqlalchemy import URL, inspect, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from . import _db_command, _demo, _distribution, _urls
from .database import Database
from .errors import DatalayerError

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the ``datalayer`` command with ``argv`` (default: the process arguments); return its exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else 0
    if args.command == "db":
        return _db_command.run(args)
    url: URL | None = args.url
    try:
        if url is not None:
            return _demo_on(url)
        with tempfile.TemporaryDirectory(prefix="datalayer-demo-", ignore_cleanup_errors=True) as directory:
            path = Path(directory) / "demo.sqlite3"
            print(f"SQLite file {path} (in a fresh temporary directory, removed at the end)")
            return _demo_on(URL.create("sqlite", database=str(path)))
    except KeyboardInterrupt:
        return _fail("interrupted", status=130)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="datalayer", description="datalayer's command line.")
    parser.add_argument(
        "--version",
        action="version",
        version=f"{_distribution.NAME} {_distribution.version()}",
        help="print the installed distribution and its version, and exit",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="run a worked example and print each step",
        description="Run a worked example of datalayer on a throwaway SQLite file, or on --url, "
        "printing each step. It creates its own demo_ tables and drops them at the end.",
    )
    demo.add_argument(
        "--url",
        type=_url,
        metavar="URL",
        help="any SQLAlchemy URL, e.g. postgresql+psycopg://user:password@host/db",
    )
    _db_command.add_parser(commands)
    return parser


def _url(value: str) -> URL:
    try:
        return make_url(value)
    except (ArgumentError, ValueError):
        # The message must not repeat the value: it may hold a password.
        raise argparse.ArgumentTypeError(
            "not a SQLAlchemy URL (expected dialect+driver://user:password@host:port/database)"
        ) from None


def _demo_on(url: URL) -> int:
    shown = _urls.shown(url)
    print(f"datalayer demo on {shown}")
    try:
        db = Database(url, model_class=_demo.DemoModel)
    except (ArgumentError, ImportError) as exc:
        hint = _distribution.install_hint(exc.name) if isinstance(exc, ImportError) else None
        also = f" (install it with: {hint})" if hint else ""
        return _fail(f"cannot load the dialect or driver of {shown}: {_reason(exc, url)}{also}", status=2)
    try:
        existing = [name for name in _demo.TABLES if inspect(db.engine).has_table(name)]
        if existing:
            return _fail(f"{shown} already has {', '.join(existing)}: drop them or use another database")
        _run_with_tables(db)
    except (SQLAlchemyError, DatalayerError) as exc:
        return _fail(f"the demo failed on {shown}: {_reason(exc, url)}")
    finally:
        db.dispose()
        print("engine disposed")
    print("done")
    return 0


def _run_with_tables(db: Database) -> None:
    """Create the demo tables, run the demo, and drop the tables even if it fails."""
    failed = True
    try:
        db.create_all()
        print(f"created tables {', '.join(_demo.TABLES)}")
        _demo.run(db, print)
        failed = False
    finally:
        db.s.remove()
        try:
            db.drop_all()
        except SQLAlchemyError:
            if not failed:
                raise
            print(f"could not drop {', '.join(_demo.TABLES)}: drop them by hand", file=sys.stderr)
        else:
            print(f"dropped tables {', '.join(reversed(_demo.TABLES))}")


def _reason(exc: BaseException, url: URL) -> str:
    """What went wrong, in one line, from the driver's own error when there is one."""
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    lines = str(cause).strip().splitlines()
    text = f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__
    return _urls.hide_credentials(text, url)


def _fail(message: str, status: int = 1) -> int:
    print(f"datalayer demo: error: {message}", file=sys.stderr)
    return status
