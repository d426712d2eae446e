"""Corrections to the revisions Alembic autogenerates, so that they run on every database as written."""

from __future__ import annotations

import re
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
    """Whether the server default changed, where the database spells it its own way; else Alembic compares.

    MariaDB reports ``now()`` as ``current_timestamp()``, ``0`` as ``0.00`` and
    a Boolean's ``true`` as ``1``; PostgreSQL adds a cast (``'x'::character
    varying``). Two string literals are compared here, their doubled quotes
    undone: Alembic's own comparison would send the model's unescaped.
    """
    if inspected is None or rendered is None:
        return None
    (found, found_quoted), (wanted, wanted_quoted) = _plain(inspected), _plain(rendered)
    if found == wanted or (found in _NOW and wanted in _NOW):
        return False
    if found_quoted and wanted_quoted:
        return True
    flags = {_BOOLEANS.get(inspected.strip().lower()), _BOOLEANS.get(rendered.strip().lower())}
    if flags in ({True}, {False}):
        return False  # unquoted: a Boolean's default, however the database spells it
    try:
        return False if Decimal(found) == Decimal(wanted) else None
    except InvalidOperation:
        return None


_CAST = re.compile(r"::[a-z_ ]+(\(\d+(,\s*\d+)?\))?$")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _plain(sql: str) -> tuple[str, bool]:
    """``sql`` without its outer parentheses, quotes and cast, and whether it was a string literal."""
    text = _CAST.sub("", sql.strip())  # PostgreSQL's 'x'::character varying
    quoted = False
    while len(text) > 1 and text[0] + text[-1] in ("()", "''"):
        quoted = quoted or text[0] == "'"
        text = text[1:-1].strip()
    return (text.replace("''", "'"), True) if quoted else (text.lower(), False)
