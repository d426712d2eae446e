"""Property: a view holds exactly what the ORM's object holds for the same row, whatever the column type.

The raw path applies SQLAlchemy's type processing itself (bind processors on the
filters, result processors on the columns): hypothesis stores values of every
column type (and values a column cannot hold, which the database refuses, or
stores as they are: SQLite keeps anything), then reads the row as an object and
as a view, on the raw path and through SQLAlchemy's execution. The values must
be the same, or the read must fail in the same way.
"""

from __future__ import annotations

import datetime
import itertools
import random
import uuid
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, DateTime, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from datalayer import Database, view
from datalayer.testing import count_queries
from tests._value_columns import Kind, ValueColumns
from tests.conftest import Env
from tests.test_native_path_property import VALUES

COLUMNS = ("small", "big", "num", "flt", "short", "doc", "kind", "flag", "day", "at", "at_tz", "uid", "blob",
           "positive", "required", "data")  # fmt: skip
ZONES = [
    datetime.UTC,
    datetime.timezone(datetime.timedelta(hours=5, minutes=30)),
    datetime.timezone(-datetime.timedelta(hours=8)),
]
JSONS = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
# Values each column can hold, to the edges of its type; and now and then anything at all in one column.
FITTING: dict[str, st.SearchStrategy[Any]] = {
    "small": st.integers(-(2**15), 2**15 - 1),
    "big": st.integers(-(2**63), 2**63 - 1),
    "num": st.decimals(min_value=-999, max_value=999, places=2),
    "flt": st.floats(),
    "short": st.text(max_size=10),
    "doc": st.text(),
    "kind": st.sampled_from(list(Kind)),
    "flag": st.booleans(),
    "day": st.dates(),
    "at": st.datetimes(),
    "at_tz": st.datetimes(timezones=st.sampled_from(ZONES)),
    "uid": st.uuids(),
    "blob": st.binary(max_size=40),
    "positive": st.integers(1, 2**31 - 1),
    "required": st.text(max_size=10),
    "data": JSONS,
}
ROWS = st.builds(
    lambda fitting, wild: {**fitting, **dict(wild)},
    st.fixed_dictionaries({}, optional=FITTING),
    st.lists(st.tuples(st.sampled_from(COLUMNS), VALUES), max_size=1),
)

ValuesDb = tuple[Database, type[Any], type[Any]]


@pytest.fixture
def values_db(env: Env) -> Iterator[ValuesDb]:
    if env.engine_options:
        pytest.skip("a view reads the same whichever path create_or_first takes")
    db = Database(env.url)

    class Row(ValueColumns, db.Model):
        __tablename__ = "t_view_values"
        doc: Mapped[str | None] = mapped_column(Text)
        at_tz: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
        data: Mapped[Any] = mapped_column(JSON, nullable=True)

    fields = {name: attrs.field() for name in ("id", "key", *COLUMNS)}
    RowView = view(Row)(attrs.make_class("RowView", fields, frozen=True))
    db.metadata.drop_all(db.engine)
    db.metadata.create_all(db.engine)
    yield db, Row, RowView
    db.metadata.drop_all(db.engine)
    db.dispose()


def loaded(read: Any) -> tuple[str, ...] | str | None:
    """Each column's value as read (``repr``), None for no row, or the type of the error the read raised."""
    try:
        found = read()
    except Exception as error:
        return f"<{type(error).__name__}>"
    return None if found is None else tuple(repr(getattr(found, name)) for name in ("id", "key", *COLUMNS))


def test_a_view_holds_what_the_orm_object_holds_for_every_column_type(env: Env, values_db: ValuesDb) -> None:
    db, Row, RowView = values_db
    numbers = itertools.count()

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(values=ROWS)
    def attempt(values: dict[str, Any]) -> None:
        blob = values.get("blob")
        assume(not (isinstance(blob, int) and blob > 2**16))  # bytes(n): slow to send, says nothing more
        key = f"k{next(numbers)}"
        with db.Session() as dbs:
            try:
                with dbs.begin_nested():
                    dbs.add(Row(key=key, **values))
            except Exception:
                return  # refused by the driver or the database: nothing stored to read
            dbs.commit()
        with db.Session() as dbs:
            orm = loaded(lambda: dbs.scalars(select(Row).where(Row.key == key)).one())
        with db.Session() as dbs:
            raw = loaded(lambda: dbs.first(RowView, key=key))
        with db.Session() as dbs, count_queries(db):  # heard: SQLAlchemy's own execution
            core = loaded(lambda: dbs.first(RowView, key=key))
        assert raw == orm, values
        assert core == orm, values
        # Filtered by a stored value too: its bind processor applied as SQLAlchemy applies it
        # (found, or not where the database compares otherwise, or failed alike).
        filters = {"key": key, **{name: value for name, value in values.items() if name != "data"}}
        with db.Session() as dbs:
            raw_filtered = loaded(lambda: dbs.first(RowView, **filters))
        with db.Session() as dbs, count_queries(db):
            core_filtered = loaded(lambda: dbs.first(RowView, **filters))
        assert raw_filtered == core_filtered, values

    random.seed(0)
    attempt()


def test_a_uuid_filter_goes_through_its_bind_processor(values_db: ValuesDb) -> None:
    # Uuid needs its processor where it is stored as CHAR(32) (SQLite, MariaDB).
    db, Row, RowView = values_db
    key = uuid.uuid4()
    with db.Session() as dbs:
        dbs.add(Row(key="k", uid=key))
        found = dbs.first(RowView, uid=key)
        assert found is not None and found.uid == key and found.key == "k"
        assert dbs.get(RowView, found.id) == found
