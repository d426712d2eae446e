"""The tables of the allocation domain, and the imperative mapping of its classes onto them."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table
from sqlalchemy.orm import relationship

from datalayer import Database
from tests.book.model import Batch, OrderLine, Product


def start_mappers(db: Database) -> None:
    """Describe the tables on ``db.metadata`` and map the domain classes onto them.

    A class has one mapping at a time: ``db.registry.dispose()`` undoes it.
    """
    order_lines = Table(
        "book_order_lines",
        db.metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("orderid", String(255), nullable=False),
        Column("sku", String(255), nullable=False),
        Column("qty", Integer, nullable=False),
    )
    products = Table(
        "book_products",
        db.metadata,
        Column("sku", String(255), primary_key=True),
        Column("version_number", Integer, nullable=False, server_default="0"),
    )
    batches = Table(
        "book_batches",
        db.metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("reference", String(255), nullable=False, unique=True),
        Column("sku", ForeignKey("book_products.sku"), nullable=False),
        Column("_purchased_quantity", Integer, nullable=False),
        Column("eta", Date, nullable=True),
    )
    allocations = Table(
        "book_allocations",
        db.metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("orderline_id", ForeignKey("book_order_lines.id"), nullable=False),
        Column("batch_id", ForeignKey("book_batches.id"), nullable=False),
    )
    db.registry.map_imperatively(OrderLine, order_lines)
    db.registry.map_imperatively(
        Batch,
        batches,
        properties={"_allocations": relationship(OrderLine, secondary=allocations, collection_class=set)},
    )
    db.registry.map_imperatively(
        Product,
        products,
        properties={"batches": relationship(Batch)},
        # The aggregate counts its own changes: every UPDATE checks the version it read.
        version_id_col=products.c.version_number,
        version_id_generator=False,
    )
