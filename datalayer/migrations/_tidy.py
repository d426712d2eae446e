"""Corrections to the revisions Alembic autogenerates, so that they run on every database as written."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from alembic.operations.ops import DropIndexOp, DropTableOp, MigrationScript, ModifyTableOps, OpContainer

__all__ = ["same_server_default", "without_index_drops_of_dropped_tables"]

_NOW = frozenset({"now()", "current_timestamp", "current_timestamp()", "localtimestamp", "localtimestamp()"})


def without_index_drops_of_dropped_tables(_context: Any, _revision: Any, directives: list[Any]) -> None:
    """Drop a table without first dropping its indexes: MariaDB refuses to drop one a foreign key needs."""
    for script in directives:
        if isinstance(script, MigrationScript):
            for container in (*script.upgrade_ops_list, *script.downgrade_ops_list):
                _prune(container)


def _prune(container: OpContainer) -> None:
    dropped = {(op.schema, op.table_name) for op in container.ops if isinstance(op, DropTableOp)}
    for op in container.ops:
        if isinstance(op, ModifyTableOps) and (op.schema, op.table_name) in dropped:
            op.ops = [inner for inner in op.ops if not isinstance(inner, DropIndexOp)]
    container.ops = [op for op in container.ops if not isinstance(op, ModifyTableOps) or op.ops]


def same_server_default(
    _context: Any,
    _inspected_column: Any,
    _metadata_column: Any,
    inspected: str | None,
    _metadata_default: Any,
    rendered: str | None,
) -> bool | None:
    """False where the database spells the model's server default its own way; else Alembic compares.

    MariaDB reports ``now()`` as ``current_timestamp()`` and ``0`` as ``0.00``.
    """
    if inspected is None or rendered is None:
        return None
    found, wanted = _plain(inspected), _plain(rendered)
    if found == wanted or (found in _NOW and wanted in _NOW):
        return False
    try:
        return False if Decimal(found) == Decimal(wanted) else None
    except InvalidOperation:
        return None


def _plain(sql: str) -> str:
    text = sql.strip().lower()
    while len(text) > 1 and text[0] + text[-1] in ("()", "''"):
        text = text[1:-1].strip()
    return text
