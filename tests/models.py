"""The models the test suite runs on, defined afresh on each Database."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import attrs
from sqlalchemy import Column, DateTime, Enum, ForeignKey, Integer, String, Table, UniqueConstraint, func
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship, synonym

from datalayer import Database


@attrs.define(slots=False)
class Tag:
    """A plain attrs domain class, mapped imperatively."""

    label: str
    id: int | None = None
    note: str | None = attrs.field(default=None, eq=False)  # a domain field with no column


class Status(enum.StrEnum):
    """Values longer than the names: an Enum column stores the names."""

    ACTIVE = "currently-active-account"
    SUSPENDED = "suspended-by-an-administrator"


@dataclass(frozen=True)
class Models:
    User: Any
    Order: Any
    Membership: Any
    Ticket: Any
    Tag: type[Tag]
    Account: Any
    Seat: Any


def define_models(db: Database) -> Models:
    class User(db.Model):
        __tablename__ = "t_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[str] = mapped_column(String(200), unique=True)
        name: Mapped[str | None] = mapped_column(String(200))
        created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
        orders: Mapped[list[Order]] = relationship(back_populates="user", order_by="Order.id")

    class Order(db.Model):
        __tablename__ = "t_orders"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey("t_users.id"))
        item: Mapped[str] = mapped_column(String(100))
        user: Mapped[User] = relationship(back_populates="orders")

    class Membership(db.Model):
        __tablename__ = "t_memberships"
        __table_args__ = (UniqueConstraint("team", "member", name="uq_t_memberships_team_member"),)
        id: Mapped[int] = mapped_column(primary_key=True)
        team: Mapped[str] = mapped_column(String(50))
        member: Mapped[str] = mapped_column(String(50))
        role: Mapped[str | None] = mapped_column(String(50))

    class Ticket(db.Model):
        """Two unique keys: ``title`` from the caller, ``code`` from a default."""

        __tablename__ = "t_tickets"
        id: Mapped[int] = mapped_column(primary_key=True)
        code: Mapped[str] = mapped_column(String(20), unique=True, default="FIXED")
        title: Mapped[str] = mapped_column(String(100), unique=True)

    class Account(db.Model):
        """A synonym, hybrids, a SQL expression and StrEnum columns."""

        __tablename__ = "t_accounts"
        id: Mapped[int] = mapped_column(primary_key=True)
        _login: Mapped[str] = mapped_column("login", String(30), unique=True)
        login = synonym("_login")
        first_name: Mapped[str | None] = mapped_column(String(50))
        last_name: Mapped[str | None] = mapped_column(String(50))
        status: Mapped[Status] = mapped_column(Enum(Status), default=Status.ACTIVE)  # stores the name
        plan: Mapped[Status | None] = mapped_column(  # stores the value
            Enum(Status, native_enum=False, values_callable=lambda members: [m.value for m in members])
        )
        owner_id: Mapped[int | None] = mapped_column(ForeignKey("t_users.id"))
        owner: Mapped[User | None] = relationship()

        @hybrid_property
        def full_name(self) -> str:
            return f"{self.first_name} {self.last_name}"

        @full_name.inplace.setter
        def _full_name_setter(self, value: str) -> None:
            self.first_name, self.last_name = value.split(" ", 1)

        @full_name.inplace.expression
        @classmethod
        def _full_name_expression(cls) -> Any:
            return cls.first_name + " " + cls.last_name

        @hybrid_property
        def display_name(self) -> str:  # no setter, and no SQL form: ``or`` on a column raises
            return (self.first_name or "").title()

        @hybrid_method
        def is_named(self, name: str) -> bool:
            return self.first_name == name

    class Seat(db.Model):
        """A composite primary key of two types."""

        __tablename__ = "t_seats"
        row: Mapped[str] = mapped_column(String(2), primary_key=True)
        number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)

    # A SQL expression (which the native create_or_first path and create_many's RETURNING cannot load).
    Seat.row_length = column_property(func.length(Seat.__table__.c.row), deferred=True)

    tags = Table(
        "t_tags",
        db.metadata,
        Column("id", Integer, primary_key=True),
        Column("label", String(100), nullable=False, unique=True),
    )
    tag_class = type("Tag", (Tag,), {})  # a fresh subclass: one mapping per Database
    db.registry.map_imperatively(tag_class, tags)
    return Models(
        User=User,
        Order=Order,
        Membership=Membership,
        Ticket=Ticket,
        Tag=tag_class,
        Account=Account,
        Seat=Seat,
    )
