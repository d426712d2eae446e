"""Corrections to the revisions Alembic autogenerates, so that they run on every database as written."""

from __future__ import annotations

from typing import Any

from alembic.operations.ops import DropIndexOp, DropTableOp, MigrationScript, ModifyTableOps, OpContainer

__all__ = ["without_index_drops_of_dropped_tables"]


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
