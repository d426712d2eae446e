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

from sqlalchemy.engine import Connection

from ._bulk_plan import Plan
from ._bulk_rows import in_row

__all__ = ["copy_format", "copy_rows", "failed_row"]

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


def copy_format(types: tuple[str, ...], kinds: Sequence[set[type]]) -> str | None:
    """How COPY sends values of ``kinds`` to columns of the server ``types``: "binary", "text", or None.

    Binary when every column's type is known and its values of the Python types
    that type's binary form takes; text when some types are unknown to psycopg
    (text's own rules then apply to them only); None when a known type is given
    values of another Python type, which an INSERT would cast as COPY cannot.
    """
    binary = True
    for name, found in zip(types, kinds, strict=True):
        allowed = _BINARY_VALUES.get(name)
        if allowed is None and name in ("json", "jsonb"):
            allowed = frozenset(_json_types())
        if allowed is None:
            binary = False
        elif not found <= allowed | {_NONE}:
            return None
    return "binary" if binary else "text"


def copy_rows(connection: Connection, plan: Plan, binary: bool, rows: Iterable[tuple[Any, ...]]) -> None:
    """Send ``rows`` in one COPY (binary, or text); raises psycopg's error, naming a row it cannot send."""
    dbapi_connection: Any = connection.connection.dbapi_connection
    with (
        dbapi_connection.cursor() as cursor,
        cursor.copy(plan.copy_sql if binary else plan.text_copy_sql) as copy,
    ):
        if binary:
            copy.set_types(plan.types)
        write = copy.write_row
        for index, row in enumerate(rows):
            try:
                write(row)
            except Exception as error:  # psycopg could not send a value: the COPY is abandoned
                raise in_row(error, index, "create_many") from None


def _json_types() -> tuple[type, ...]:
    from psycopg.types.json import Json, Jsonb

    return (Json, Jsonb)


def failed_row(error: BaseException) -> int | None:
    """The index of the row psycopg's failed COPY names (its CONTEXT says ``line N``), or None."""
    diag = getattr(error, "diag", None)
    found = _LINE.search(getattr(diag, "context", None) or "")
    return int(found.group(1)) - 1 if found else None
