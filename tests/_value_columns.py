"""A column of every type, for the properties that throw any value at an INSERT sent without a flush."""

from __future__ import annotations

import datetime
import enum
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
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
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


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
