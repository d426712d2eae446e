"""Read views (issue 15): lookups, a page and a stream, side by side with the raw driver and the ORM.

Every ratio here is to the raw DBAPI driver in the same run, its rows made into the same read-model
classes by hand (``raw-dbapi-views``: a query, then ``UserRow(*row)``); the driver's bare tuples
(``raw-dbapi``) are shown beside it. The lookups run like the
single operations (``ops`` per measured unit, one transaction); the page is ``VIEW_PAGE`` rows after
a key in the middle of the large table (keyset), one session per fetch; the stream reads the whole
large table in a fresh process per run, for its peak memory (see :mod:`benchmarks.iteration`).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable

from .contenders import Contender, build
from .iteration import run_iteration
from .measure import Case, run_cases
from .schema import user_email
from .workloads import Result, Sizes

__all__ = ["BASELINE_VIEWS", "VIEW_CONTENDERS", "VIEW_PAGE", "run_views"]

BASELINE_VIEWS = "raw-dbapi-views"
VIEW_CONTENDERS = (
    "datalayer-view-session",
    "datalayer-view-repo",
    "sqlalchemy-orm",
    "raw-dbapi-views",
    "raw-dbapi",
)
"""datalayer's views (session helpers, repositories), the ORM's entities, the driver's rows made into the
views' classes by hand (the baseline: what hand-written read-side code does) and left as tuples."""
VIEW_PAGE = 100
_BATCH = "one transaction per measured unit"


def _lookups(contender: Contender, sizes: Sizes, by_key: bool) -> Callable[[int], int]:
    def run(rep: int) -> int:
        numbers = random.Random(f"views/{by_key}/{rep}").sample(range(sizes.users), sizes.ops)
        if by_key:  # seeded user n has id n + 1
            contender.get([n + 1 for n in numbers])
        else:
            contender.lookup([user_email(n) for n in numbers])
        return sizes.ops

    return run


def _pages(contender: Contender, sizes: Sizes) -> Callable[[int], int]:
    after = sizes.items // 2

    def run(_rep: int) -> int:
        for _ in range(sizes.page_fetches):
            contender.page_keyset(after, VIEW_PAGE)
        return sizes.page_fetches

    return run


def _measured(
    contenders: dict[str, Contender], sizes: Sizes, unit: Callable[[Contender], Callable[[int], int]]
) -> list[Case]:
    cases = [Case(name, contenders[name], unit(contenders[name])) for name in VIEW_CONTENDERS]
    run_cases(cases, sizes.reps, baseline=BASELINE_VIEWS, quiet_warmup=sizes.settle)
    return cases


def run_views(url: str, built: dict[str, Contender], sizes: Sizes) -> list[Result]:
    """The four view workloads; the contenders not in ``built`` are built here, and closed after."""
    made = {name: build(name, url) for name in VIEW_CONTENDERS if name not in built}
    try:
        return _run(url, {**built, **made}, sizes)
    finally:
        for contender in made.values():
            contender.close()


def _run(url: str, contenders: dict[str, Contender], sizes: Sizes) -> list[Result]:
    results: list[Result] = []
    for key, title, by_key, what in (
        ("views_get", "Views: look up by primary key", True, "a user by id"),
        ("views_lookup", "Views: look up by a unique column", False, "a user by email"),
    ):
        cases = _measured(contenders, sizes, functools.partial(_lookups, sizes=sizes, by_key=by_key))
        definition = f"{what}, datalayer reading a view of 2 of its 3 columns; {_BATCH}"
        results.append(Result(key, title, "ops/s", definition, BASELINE_VIEWS, [c.outcome for c in cases]))
    cases = _measured(contenders, sizes, lambda c: _pages(c, sizes))
    definition = f"{VIEW_PAGE} rows after id {sizes.items // 2:,} (keyset), one session per fetch"
    outcomes = [case.outcome for case in cases]
    results.append(Result("views_page", f"Views: a page of {VIEW_PAGE} rows", "pages/s", definition,
                          BASELINE_VIEWS, outcomes))  # fmt: skip
    streamed = run_iteration(
        url, sizes.iterate_reps, sizes.items, VIEW_CONTENDERS, ("stream",), BASELINE_VIEWS
    )
    definition = (
        "streamed, every row read and one attribute touched, in a fresh process; peak MB = RSS growth"
    )
    title = f"Views: stream {sizes.items:,} rows"
    results.append(Result("views_stream", title, "rows/s", definition, BASELINE_VIEWS, streamed["stream"]))
    return results
