"""How ``create_many(..., returning=False)`` sends one set of columns, worked out once per model.

A plan fixes, for the attributes the rows give: the table's columns they fill,
the Python-side column defaults of the columns they leave out (SQLAlchemy's
own, called once per row as an INSERT calls them), the statement (COPY on
PostgreSQL with psycopg, a positional INSERT elsewhere) and, for COPY, the
server types that binary COPY can send. Anything SQLAlchemy would compute in
the statement itself (a SQL expression or sequence as default, a default that
reads the execution context) leaves no plan: those rows go through SQLAlchemy's
own executemany.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import Column, Enum
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper

from ._backends import driver
from ._column_defaults import Default, python_default
from ._unflushed import table_of

__all__ = ["Plan", "plan_for"]

_KEEP_NONE = None  # a None given stays NULL (no default; or a type that stores None itself, as JSON)


class Plan(NamedTuple):
    """One way to send rows giving ``names``: values in ``names`` order, then the ``defaults``."""

    names: tuple[str, ...]
    columns: tuple[Column[Any], ...]  # those of names, then those of defaults
    defaults: tuple[Default, ...]
    fills: tuple[Default | None, ...]  # per name: the default a None given stands for (the ORM's rule)
    unfillable: frozenset[str]  # names whose None stands for a server default
    # The statements hold the table's identifiers, quoted by the dialect, and placeholders: no value.
    copy_sql: str = ""  # COPY .. FROM STDIN (FORMAT BINARY), on PostgreSQL with psycopg
    text_copy_sql: str = ""  # the same COPY in text format
    types: tuple[str, ...] = ()  # psycopg's names of the server types, for binary COPY
    insert_sql: str = ""  # the INSERT of one row, for the driver's executemany
    page_sql: str = ""  # the INSERT of ``page`` rows, on MariaDB
    page: int = 0

    @property
    def copy(self) -> bool:
        """Whether the rows go by COPY."""
        return bool(self.copy_sql)


def plan_for(mapper: Mapper[Any], names: tuple[str, ...], dialect: Dialect) -> Plan | None:
    """The plan for rows giving exactly ``names`` (attribute keys), or None: SQLAlchemy's executemany."""
    table = table_of(mapper)
    if table is None:
        return None
    given = tuple(mapper.get_property(name).columns[0] for name in names)
    if any(column.table is not table for column in given):
        return None
    fills: list[Default | None] = []
    unfillable: set[str] = set()
    for name, column in zip(names, given, strict=True):
        fill = python_default(column.default)
        if column.type.should_evaluate_none or (column.default is None and column.server_default is None):
            fill = _KEEP_NONE
        elif fill is None:
            unfillable.add(name)  # a server default, or one SQLAlchemy computes in the statement
        fills.append(fill)
    defaults: list[Default] = []
    defaulted: list[Column[Any]] = []
    left_out = set(table.columns) - set(given)
    for column in table.columns:
        if column not in left_out or column.default is None:
            continue
        computed = python_default(column.default)
        if computed is None:
            return None
        defaults.append(computed)
        defaulted.append(column)
    columns = (*given, *defaulted)
    preparer = dialect.identifier_preparer
    head = f"{preparer.format_table(table)} ({', '.join(preparer.quote(c.name) for c in columns)})"
    checked = (names, columns, tuple(defaults), tuple(fills), frozenset(unfillable))
    if dialect.name == "postgresql" and driver(dialect) == "psycopg":
        copy, types = f"COPY {head} FROM STDIN", tuple(_server_type(column, dialect) for column in columns)
        return Plan(*checked, copy_sql=f"{copy} (FORMAT BINARY)", text_copy_sql=copy, types=types)
    marks = _MARKS.get(dialect.paramstyle)
    if marks is None:
        return None
    # Nothing is left for SQLAlchemy to render (no SQL expression or sequence defaults): written here.
    width = len(columns)
    page = max(1, min(dialect.insertmanyvalues_page_size, dialect.insertmanyvalues_max_parameters // width))
    pages = dialect.name in ("mysql", "mariadb")  # multi-row INSERTs beat the driver's executemany there
    return Plan(
        *checked,
        insert_sql=_insert(head, marks, width, 1),
        page_sql=_insert(head, marks, width, page) if pages else "",
        page=page,
    )


def _insert(head: str, marks: Callable[[int], str], width: int, rows: int) -> str:
    """``INSERT INTO head VALUES`` with ``rows`` rows of ``width`` placeholders."""
    values = ", ".join(
        f"({', '.join(marks(row * width + i) for i in range(1, width + 1))})" for row in range(rows)
    )
    return f"INSERT INTO {head} VALUES {values}"  # noqa: S608 (quoted identifiers and placeholders)


_MARKS: dict[str, Callable[[int], str]] = {
    "qmark": lambda _i: "?",
    "format": lambda _i: "%s",
    "pyformat": lambda _i: "%s",  # drivers taking pyformat take format too
    "numeric": lambda i: f":{i}",
    "numeric_dollar": lambda i: f"${i}",
}


def _server_type(column: Column[Any], dialect: Dialect) -> str:
    """psycopg's name for ``column``'s server type, or "" when binary COPY cannot name it."""
    import psycopg  # only with the psycopg dialect

    type_ = column.type
    if isinstance(type_, Enum) and type_.native_enum:
        return "text"  # an enum's binary form is its label's text
    name = dialect.type_compiler_instance.process(type_).lower().partition("(")[0].strip()
    if "[" in name:
        return ""
    info = psycopg.adapters.types.get(name)
    return info.name if info is not None else ""
