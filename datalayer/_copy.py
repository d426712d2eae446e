"""COPY .. FROM STDIN through psycopg, on the session's own connection and transaction.

Binary when every column's server type is known to psycopg and every value is
of a Python type its binary dumper for that type takes (else text, which the
server parses as it parses an INSERT's literals). A row the server rejects is
named by the line COPY reports; one psycopg cannot send, by its position.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from ._bulk_plan import Plan
from ._bulk_rows import in_row

__all__ = ["copy_rows", "failed_row"]

_NONE = type(None)
_BINARY_VALUES: dict[str, frozenset[type]] = {
    "int2": frozenset({int}),
    "int4": frozenset({int}),
    "int8": frozenset({int}),
    "float4": frozenset({float, int}),
    "float8": frozenset({float, int}),
    "numeric": frozenset({decimal.Decimal, int}),
    "text": frozenset({str}),
    "varchar": frozenset({str}),
    "bpchar": frozenset({str}),
    "bool": frozenset({bool}),
    "uuid": frozenset({uuid.UUID}),
    "date": frozenset({datetime.date}),
    "time": frozenset({datetime.time}),
    "interval": frozenset({datetime.timedelta}),
    "bytea": frozenset({bytes}),
}
_LINE = re.compile(r"\bline (\d+)")


def copy_rows(
    connection: Connection, plan: Plan, kinds: Sequence[set[type]], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Send ``rows`` in one COPY, binary when the value ``kinds`` of every column allow; raises psycopg's."""
    types = plan.types if _binary(plan.types, kinds) else None
    dbapi_connection: Any = connection.connection.dbapi_connection
    with dbapi_connection.cursor() as cursor, cursor.copy(plan.sql if types else plan.text_sql) as copy:
        if types:
            copy.set_types(types)
        write = copy.write_row
        for index, row in enumerate(rows):
            try:
                write(row)
            except Exception as error:  # psycopg could not send a value: the COPY is abandoned
                raise in_row(error, index) from None


def _binary(types: tuple[str, ...], kinds: Sequence[set[type]]) -> bool:
    for name, found in zip(types, kinds, strict=True):
        allowed = _BINARY_VALUES.get(name)
        if allowed is None and name in ("json", "jsonb"):
            allowed = frozenset(_json_types())
        if allowed is None or not found <= allowed | {_NONE}:
            return False
    return True


def _json_types() -> tuple[type, ...]:
    from psycopg.types.json import Json, Jsonb

    return (Json, Jsonb)


def failed_row(error: sa_exc.DBAPIError) -> int | None:
    """The index of the row a failed COPY names (its CONTEXT says ``line N``), or None."""
    diag = getattr(error.orig, "diag", None)
    found = _LINE.search(getattr(diag, "context", None) or "")
    return int(found.group(1)) - 1 if found else None
