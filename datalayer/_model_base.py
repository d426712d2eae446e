"""The base a Database makes for ``db.Model``: stable constraint names and sqla-wrapper's conveniences.

A ``model_class`` of the user's own is never touched: these belong to the base
that :class:`~datalayer.Database` creates when it is given none.
"""

from __future__ import annotations

import hashlib
from typing import Any, Self

from sqlalchemy import Constraint, MetaData, Table, inspect
from sqlalchemy.orm import DeclarativeBase

from ._attributes import check_attributes

__all__ = ["NAMING_CONVENTION", "model_repr", "new_model_class"]


def _check_name(constraint: Constraint, _table: Table) -> str:
    """An unnamed check constraint's part of its name: its columns, else a hash of its SQL."""
    columns = [column.name for column in getattr(constraint, "columns", ())]
    if columns:  # a Boolean's or an Enum's
        return "_".join(columns)
    sql = str(getattr(constraint, "sqltext", ""))
    return hashlib.sha1(sql.encode()).hexdigest()[:8]


NAMING_CONVENTION: dict[str, Any] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(dl_check)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "dl_check": _check_name,
}
"""The names ``db.Model``'s unnamed constraints and indexes get, the same on every database and every run.

Migrations compare and drop constraints by name: a name the server makes up
(``users_email_key`` on PostgreSQL, ``email`` on MariaDB) differs between
databases. A name given explicitly is kept as given. An unnamed check constraint
is named after its columns (a Boolean's or an Enum's) or a hash of its SQL. A
``model_class`` of your own keeps its metadata as given.
"""


def new_model_class() -> type[DeclarativeBase]:
    class Model(DeclarativeBase):
        """The declarative base of one Database, with its own registry and metadata.

        It has sqla-wrapper's ``BaseModel`` conveniences: :meth:`fill` and a
        ``repr`` listing the columns. Neither runs unless called: loading,
        building and flushing objects are SQLAlchemy's own.
        """

        metadata = MetaData(naming_convention=NAMING_CONVENTION)

        def fill(self, **attrs: Any) -> Self:
            """Set several attributes at once; return the object.

            Each name is checked first, as ``create()`` checks its attributes:
            an unknown one raises :class:`~datalayer.errors.UnknownAttributeError`
            (one that cannot be set, :class:`~datalayer.errors.UnsupportedAttributeError`)
            and nothing is set.
            """
            check_attributes(inspect(type(self)), attrs, filters=False, builds=True)
            for name, value in attrs.items():
                setattr(self, name, value)
            return self

        def __repr__(self) -> str:
            return model_repr(self)

    return Model


_NOT_LOADED = "<not loaded>"


def model_repr(obj: object) -> str:
    """sqla-wrapper's ``repr``: ``<Post #<id(obj)>`` then `` name = value`` per column, one a line.

    Dates and times show as ISO 8601. Only what is loaded is shown: a column
    that is expired or deferred shows ``<not loaded>`` rather than being read,
    so a ``repr`` never sends SQL (nor fails on a detached or async object).
    """
    state = inspect(obj)
    lines = [f"<{type(obj).__name__} #{id(obj)}"]
    for key in state.mapper.columns.keys():  # noqa: SIM118 (iterating a ColumnCollection gives its columns)
        if key in state.dict:
            value = state.dict[key]
            shown = value.isoformat() if hasattr(value, "isoformat") else repr(value)
        else:  # never set (None, as sqla-wrapper showed it), or not loaded from its row
            shown = _NOT_LOADED if state.key is not None else "None"
        lines.append(f"\n {key} = {shown}")
    return "".join(lines) + ">"
