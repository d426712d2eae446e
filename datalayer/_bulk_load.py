"""``create_many(..., returning=False)``: the rows loaded at the driver's speed, their number returned.

The rows are checked as ``create_many`` checks them (names once for the batch,
SQL expressions and lengths a column at a time), the Python-side column
defaults computed as an INSERT computes them, the values converted by their
column types' bind processors, and sent in one COPY on PostgreSQL with psycopg,
in multi-row INSERTs on MariaDB, in one driver ``executemany`` elsewhere (SQLite,
asyncpg, psycopg's async mode). Rows giving different names, synonyms, or
leaving out a column whose default SQLAlchemy computes in the statement (a SQL
expression, a sequence, a function of the execution context) go through
SQLAlchemy's ORM bulk INSERT instead. Nothing is loaded into the session.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import chain, islice
from operator import itemgetter
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Mapper, Session

from . import _read_only
from ._bulk_plan import Plan, plan_for
from ._bulk_rows import check_columns, check_names, checked_values
from ._bulk_send import send_rows
from ._copy import copy_format, copy_rows
from ._mapping import memo, synonym_targets
from ._translate import flush

__all__ = ["load_rows"]

_NONE = type(None)


def load_rows(session: Session, mapper: Mapper[Any], rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert ``rows`` without RETURNING or objects; the number of rows inserted. Never commits.

    A failure (bad input found before sending excepted) leaves the session as a
    failed flush does: rolled back, refusing work until ``rollback()``.
    """
    given = rows if isinstance(rows, list) else list(rows)  # pyright: ignore[reportUnknownArgumentType]
    _read_only.refuse_changes(session, new=len(given))
    if not given:
        return 0
    names = check_names(mapper, given)
    dialect = session.get_bind(mapper=mapper).dialect
    plan = _plan(mapper, names, given, dialect)
    # Each row is checked once, before anything is sent: a refusal leaves the session as it was.
    if plan is None:  # uneven rows, synonyms...
        return _inserted(session, mapper, checked_values(mapper, names, list(map(dict, given))))
    columns, kinds = _checked(mapper, plan, given)
    if any(_NONE in kinds[i] for i, name in enumerate(plan.names) if name in plan.unfillable):
        # A None standing for a server default: SQLAlchemy leaves the column out of that row.
        return _inserted(session, mapper, list(map(dict, given)))  # a plan's names hold no synonym
    _flush_first(session, mapper)

    def load(connection: Connection) -> None:
        # Defaults and conversions run as part of sending: their failures fail it, as in an INSERT.
        sent, sent_kinds = _converted(plan, columns, kinds, len(given), connection.dialect)
        # The rows are made as they are sent: a list of them would only feed the garbage collector.
        values = zip(*sent, strict=True)
        how = copy_format(plan.types, sent_kinds) if plan.copy else None
        # Values of other types than their columns' (an INSERT casts them), or schemas to translate.
        if (plan.copy and how is None) or connection.get_execution_options().get("schema_translate_map"):
            session.execute(insert(mapper.class_), list(map(dict, given)))
        elif plan.copy:
            copy_rows(connection, plan, how == "binary", values)
        else:
            _insert(connection, plan, values)

    send_rows(session, mapper, load, plan.copy_sql or None)
    return len(given)


def _inserted(session: Session, mapper: Mapper[Any], rows: list[dict[str, Any]]) -> int:
    """Send the checked ``rows`` in SQLAlchemy's ORM bulk INSERT; their number."""
    _flush_first(session, mapper)
    send_rows(session, mapper, lambda connection: session.execute(insert(mapper.class_), rows))
    return len(rows)


def _flush_first(session: Session, mapper: Mapper[Any]) -> None:
    if session.autoflush:
        flush(session, mapper)  # pending work first, as any statement run by the session


def _plan(mapper: Mapper[Any], names: set[str], rows: list[Any], dialect: Dialect) -> Plan | None:
    """The plan when every row gives the same names, none a synonym; else None."""
    if set(map(len, rows)) != {len(names)} or not names.isdisjoint(synonym_targets(mapper)):
        return None
    plans = memo(mapper, _plans)
    key = (tuple(sorted(names)), type(dialect), dialect.paramstyle, dialect.server_version_info)
    try:
        return plans[key]
    except KeyError:
        plan = plans[key] = plan_for(mapper, key[0], dialect)
        return plan


def _plans(_mapper: Mapper[Any]) -> dict[Any, Plan | None]:
    return {}


def _checked(mapper: Mapper[Any], plan: Plan, rows: list[Any]) -> tuple[list[Iterable[Any]], list[set[type]]]:
    """Each given column's values, checked (:func:`check_columns`), and the types of its values."""
    getters = [itemgetter(name) for name in plan.names]
    kinds = check_columns(mapper, dict(zip(plan.names, getters, strict=True)), rows, "create_many")
    return [map(get, rows) for get in getters], kinds


def _converted(
    plan: Plan, columns: list[Iterable[Any]], kinds: list[set[type]], n: int, dialect: Dialect
) -> tuple[list[Iterable[Any]], list[set[type]]]:
    """The columns as sent: the defaults added, each value converted by its type; their values' types."""
    columns, kinds = list(columns), list(kinds)
    for i, fill in enumerate(plan.fills):
        if (
            fill is not None and _NONE in kinds[i]
        ):  # a None given: the default applies, as in the ORM's INSERT
            columns[i] = [fill() if value is None else value for value in columns[i]]
            kinds[i] = set(map(type, columns[i]))
    for default in plan.defaults:
        computed = [default() for _ in range(n)]
        columns.append(computed)
        kinds.append(set(map(type, computed)))
    for i, column in enumerate(plan.columns):
        process = column.type._cached_bind_processor(dialect)  # pyright: ignore[reportPrivateUsage]
        if process is not None:
            processed = list(map(process, columns[i]))
            columns[i], kinds[i] = processed, set(map(type, processed))
    return columns, kinds


def _insert(connection: Connection, plan: Plan, values: Iterator[tuple[Any, ...]]) -> None:
    """The rows in one driver executemany; on MariaDB, INSERTs of a page of rows each, as SQLAlchemy does."""
    if not plan.page_sql:
        connection.exec_driver_sql(plan.insert_sql, list(values))
        return
    while batch := list(islice(values, plan.page)):
        if len(batch) == plan.page:
            connection.exec_driver_sql(plan.page_sql, tuple(chain.from_iterable(batch)))
        else:  # the last rows: the driver's executemany (PyMySQL makes it one multi-row INSERT)
            connection.exec_driver_sql(plan.insert_sql, batch)
