"""Many rows at once: bulk creation, streaming, keyset pages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from operator import attrgetter
from typing import Any, Literal, TypeVar, overload

from sqlalchemy import Table, insert, select, tuple_
from sqlalchemy.orm import Mapper

from ._backends import backend
from ._bulk_load import load_rows
from ._bulk_rows import insert_rows
from ._failed_write import written
from ._keyset import page_cursor
from ._mapping import primary_key_attributes
from ._ownership import checked_mapper
from ._session_like import SessionLike
from ._stream import stream
from ._translate import flush
from ._unflushed import forget_on_rollback, own
from ._views import page as view_page
from ._views import spec_of

__all__ = ["create_many", "insert_rows", "page", "page_cursor", "stream"]

M = TypeVar("M")


@overload
def create_many(
    session: SessionLike,
    model: type[M],
    rows: Iterable[Mapping[str, Any]],
    /,
    *,
    returning: Literal[True] = True,
) -> list[M]: ...
@overload
def create_many(
    session: SessionLike, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: Literal[False]
) -> int: ...
@overload
def create_many(
    session: SessionLike, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: bool
) -> list[M] | int: ...
def create_many(
    session: SessionLike, model: type[M], rows: Iterable[Mapping[str, Any]], /, *, returning: bool = True
) -> list[M] | int:
    """Insert every row; the objects in the rows' order, or with ``returning=False`` their number.

    ``returning=True`` sends batched ``INSERT .. RETURNING`` statements and puts the
    objects in the session's identity map with their database defaults.
    ``returning=False`` loads no objects: COPY on PostgreSQL with psycopg, batched
    INSERTs elsewhere (see :mod:`datalayer._bulk_load`). Flushes, never commits.
    A bad row is refused before anything is sent, naming its index; a failure
    in the database (a unique violation raises :class:`ConflictError`) leaves the
    session as a failed flush does: rolled back, refusing work until ``rollback()``.
    """
    mapper = checked_mapper(session, model)
    if not returning:
        return load_rows(own(session), mapper, rows)
    batch = insert_rows(mapper, rows)
    if not batch:
        return []
    dialect = session.get_bind(mapper=mapper).dialect
    # SQLAlchemy keeps the rows' order by sending SQLite one INSERT per row; a batch
    # whose integer key the database assigns in order can be sorted back instead.
    sortable = backend(dialect).inserts_one_row_at_a_time and _assigned_in_order(mapper, batch)
    statement = insert(model).returning(model, sort_by_parameter_order=not sortable)
    if session.autoflush:
        flush(session, mapper)  # pending work first: its failure is the flush's own
    with written(session, mapper, "a row of create_many: roll the session back before using it again"):
        created = list(session.scalars(statement, batch))
    forget_on_rollback(session, created)
    if sortable:
        created.sort(key=attrgetter(primary_key_attributes(mapper)[0]))  # the key's one column
    return created


def _assigned_in_order(mapper: Mapper[Any], batch: list[dict[str, Any]]) -> bool:
    """Whether the database gives the rows ascending integer keys in the order they are sent."""
    (column, *others) = mapper.primary_key
    table = mapper.local_table
    (name, *_) = primary_key_attributes(mapper)
    return (
        not others
        and isinstance(table, Table)
        and table.autoincrement_column is column
        and not any(name in row for row in batch)
    )


def page(session: SessionLike, model: type[M], /, size: int, after: Any = None, **attrs: Any) -> list[M]:
    """Up to ``size`` matching objects whose primary key follows ``after`` (keyset pagination).

    Pass the primary key of the last object of a page (a tuple for a composite
    key) as ``after`` to get the next one; None starts at the beginning. Unlike
    OFFSET, a deep page costs what the first one does. An ``after`` of the
    wrong type for its key is refused before anything is sent, so the
    transaction stays usable. Never commits. For a view, the views of those
    rows (see :mod:`datalayer._views`).
    """
    spec = spec_of(model)
    mapper = checked_mapper(session, model if spec is None else spec.model)
    values = page_cursor(mapper, size, after, attrs)
    if spec is not None:
        return view_page(session, spec, attrs, values, size)
    key = mapper.primary_key
    statement = select(model).filter_by(**attrs).order_by(*key).limit(size)
    if values is not None:
        statement = statement.where(key[0] > values[0] if len(key) == 1 else tuple_(*key) > tuple_(*values))
    return list(session.scalars(statement))
