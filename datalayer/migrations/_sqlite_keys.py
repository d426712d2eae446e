"""SQLite's foreign keys while a migration runs: off while tables are copied, checked at each revision's end.

SQLite alters most things by copying a table (``batch_alter_table``), which a
foreign key pointing at that table would refuse, or cascade from. So the
connection runs the migration with foreign keys off (a PRAGMA that counts only
outside a transaction), and each revision is checked with ``foreign_key_check``
before it commits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Generator, Mapping
from typing import Any

from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import Connection

from .._backends import driver
from ..errors import MigrationError

__all__ = ["foreign_key_check", "foreign_keys_off"]

_FOREIGN_KEYS_OFF = "PRAGMA foreign_keys = OFF"
_FOREIGN_KEYS_ON = "PRAGMA foreign_keys = ON"
_FOREIGN_KEY_CHECK = "PRAGMA foreign_key_check"


@contextlib.contextmanager
def foreign_keys_off(connection: Connection) -> Generator[None]:
    """On SQLite, foreign keys unenforced while tables are copied, checked at each revision's end."""
    if connection.dialect.name != "sqlite" or driver(connection.dialect) != "pysqlite":
        yield
        return
    raw: Any = connection.connection.driver_connection  # outside any transaction, where the PRAGMA counts
    raw.execute(_FOREIGN_KEYS_OFF)
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()
        try:
            raw.execute(_FOREIGN_KEYS_ON)
        except Exception:
            connection.invalidate()  # never back to the pool with foreign keys off
            raise


def foreign_key_check(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    """Refuse a revision that leaves rows whose foreign keys point nowhere; its transaction rolls back."""
    assert ctx.connection is not None
    broken = ctx.connection.exec_driver_sql(_FOREIGN_KEY_CHECK).all()
    if broken:
        tables = ", ".join(sorted({str(row[0]) for row in broken}))
        done = "upgrade" if step.is_upgrade else "downgrade"
        raise MigrationError(
            f"the {done} of revision {step.up_revision_id} leaves rows in {tables} whose foreign keys "
            "point to no row: nothing of it was applied; fix the revision (move or delete those rows in it)"
        )
