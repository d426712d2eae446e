"""Columns of every type and values to throw at them, for the properties attacking INSERTs without a flush."""

from __future__ import annotations

import datetime
import enum
import string
import uuid
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

COLUMNS = ("small", "big", "num", "flt", "short", "doc", "kind", "flag", "day", "at", "uid", "blob",
           "positive", "parent_id", "required")  # fmt: skip
"""The columns of :class:`ValueColumns` but the key, and ``doc``: a Text column each model adds its way."""
DEFAULTED = ("defaulted", "stamped", "served", "data")
"""The columns of :class:`DefaultedColumns`."""
STAMP = datetime.datetime(2020, 1, 2, 3, 4, 5, 678901)


class Kind(enum.Enum):
    small = "s"
    large = "l"


class ValueColumns:
    """Mixin: the key, then one column per type, a CHECK, a foreign key to the table itself and a default."""

    __tablename__: str
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(50), unique=True)
    small: Mapped[int | None] = mapped_column(SmallInteger)
    big: Mapped[int | None] = mapped_column(BigInteger)
    num: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    flt: Mapped[float | None] = mapped_column(Float)
    short: Mapped[str | None] = mapped_column(String(10))
    flag: Mapped[bool | None] = mapped_column(Boolean)
    day: Mapped[datetime.date | None] = mapped_column(Date)
    at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    uid: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    positive: Mapped[int | None] = mapped_column(Integer)
    required: Mapped[str] = mapped_column(String(10), default="r")

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (CheckConstraint("positive > 0", name=f"ck_{cls.__tablename__}_positive"),)

    @declared_attr
    def kind(cls) -> Mapped[Kind | None]:
        return mapped_column(Enum(Kind, name=f"{cls.__tablename__}_kind"))

    @declared_attr
    def parent_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey(f"{cls.__tablename__}.id"))


class DefaultedColumns:
    """Mixin: columns with a scalar default, a Python function as default, a server default, and JSON."""

    defaulted: Mapped[str | None] = mapped_column(String(10), default="d")
    stamped: Mapped[datetime.datetime | None] = mapped_column(DateTime, default=lambda: STAMP)
    served: Mapped[int | None] = mapped_column(Integer, server_default=text("7"))
    data: Mapped[Any] = mapped_column(JSON, nullable=True)


def _noise(size: int) -> st.SearchStrategy[str]:
    """Incompressible text of ``size`` characters (a compressible one would fit an index entry)."""
    return st.randoms(use_true_random=False).map(
        lambda r: "".join(r.choice(string.ascii_letters + string.digits) for _ in range(size))
    )


VALUES: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.integers(),
    st.integers(min_value=2**15 - 2, max_value=2**15 + 2),
    st.integers(min_value=2**31 - 2, max_value=2**31 + 2),
    st.integers(min_value=2**63 - 2, max_value=2**63 + 2),
    st.integers(min_value=-(2**63) - 2, max_value=-(2**63) + 2),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=Decimal("999.99"), max_value=Decimal("100000"), places=3),
    st.floats(),
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=9, max_size=12),
    _noise(9000),
    st.binary(max_size=20),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.uuids(),
    st.sampled_from(["s", "l", "small", "nope", Kind.small, Kind.large]),
)
"""Values of every type, out of range, too long, NULL, and Text over PostgreSQL's index entry size."""
