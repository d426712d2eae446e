"""The models the test suite runs on, defined afresh on each Database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import attrs
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from datalayer import Database


@attrs.define(slots=False)
class Tag:
    """A plain attrs domain class, mapped imperatively."""

    label: str
    id: int | None = None
    note: str | None = attrs.field(default=None, eq=False)  # a domain field with no column


@dataclass(frozen=True)
class Models:
    User: Any
    Order: Any
    Membership: Any
    Ticket: Any
    Tag: type[Tag]


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

    tags = Table(
        "t_tags",
        db.metadata,
        Column("id", Integer, primary_key=True),
        Column("label", String(100), nullable=False, unique=True),
    )
    tag_class = type("Tag", (Tag,), {})  # a fresh subclass: one mapping per Database
    db.registry.map_imperatively(tag_class, tags)
    return Models(User=User, Order=Order, Membership=Membership, Ticket=Ticket, Tag=tag_class)
