"""The repository of the Product aggregate: products are looked up by sku, as in the book."""

from __future__ import annotations

from sqlalchemy import select

from repositories import Repository
from tests.book.model import Batch, Product


class Products(Repository[Product]):
    """``get(sku=...)``, as the book writes it, is the generic repository's (sku is the key)."""

    def get_by_batchref(self, reference: str) -> Product | None:
        """The product holding the batch ``reference``."""
        query = select(Product).join(Product.batches).where(Batch.reference == reference)  # type: ignore[attr-defined]
        return next(iter(self.scalars(query)), None)
