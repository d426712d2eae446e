"""Read models ("views"): classes declared with ``view(Model)``, read straight from rows.

``_declare`` checks and records a view; ``_statements`` builds its SELECTs once per
filter shape; ``_read`` runs them on the session's connection; ``_raw`` sends them
on the DBAPI cursor where nothing listens (``_listeners``). The session helpers,
repositories and streams call in here when given a view instead of a model.
"""

from __future__ import annotations

from ._declare import ViewSpec, read_only, spec_of, view
from ._listeners import ignores_selects
from ._read import first, get, open_rows, page, rows
from ._statements import columns

__all__ = [
    "ViewSpec",
    "columns",
    "first",
    "get",
    "ignores_selects",
    "open_rows",
    "page",
    "read_only",
    "rows",
    "spec_of",
    "view",
]
