"""A small shop: customers and their orders, on the Database the migrations in ``migrations/`` build.

The URL comes from ``SHOP_DATABASE_URL`` (default: ``shop.db`` in the current directory). The
commands run from this directory find the Database through ``pyproject.toml``::

    datalayer db upgrade   # apply the revisions
    datalayer db check     # exit 1 if a model changed without a revision
"""

from __future__ import annotations

import os

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from datalayer import Database

db = Database(os.environ.get("SHOP_DATABASE_URL", "sqlite:///shop.db"))


class Customer(db.Model):
    __tablename__ = "shop_customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(100), server_default="")
    orders: Mapped[list[Order]] = relationship(back_populates="customer")


class Order(db.Model):
    __tablename__ = "shop_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("shop_customers.id"), index=True)
    item: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int]
    customer: Mapped[Customer] = relationship(back_populates="orders")
