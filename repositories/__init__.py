"""Generic, typed repositories over datalayer's session helpers.

The package applications import repositories from, and derive their own from.
The generic ``Repository`` is built in ``datalayer`` beside the unit of work
that declares it, so that imports run one way: ``repositories`` uses
``datalayer``, never the reverse.
"""

from __future__ import annotations

from datalayer._repository import Repository

__all__ = ["Repository"]
