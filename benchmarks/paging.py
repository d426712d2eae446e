"""Page 1 and a far page of the large table: keyset (``WHERE id > :after``) against LIMIT/OFFSET.

Each fetch is its own short session, as in a web request. Item ids run from 1
without gaps, so the key a client would carry to page ``n`` is ``(n - 1) * size``.
"""

from __future__ import annotations

from collections.abc import Callable

from .contenders import Contender
from .measure import Case, Outcome, paired, run_cases

__all__ = ["BASELINE_PAGING", "run_paging"]

BASELINE_PAGING = "sqlalchemy-orm (offset)"
_KINDS = (
    ("datalayer-session", "keyset"),
    ("datalayer-repo", "keyset"),
    ("sqlalchemy-orm", "offset"),
    ("sqlalchemy-orm", "keyset"),
    ("raw-dbapi", "offset"),
    ("raw-dbapi", "keyset"),
    ("sqla-wrapper", "offset"),
    ("advanced-alchemy", "offset"),
    ("advanced-alchemy", "keyset"),
)


def _fetcher(contender: Contender, kind: str, page: int, size: int, fetches: int) -> Callable[[int], int]:
    start = (page - 1) * size

    def run(_rep: int) -> int:
        for _ in range(fetches):
            if kind == "offset":
                contender.page_offset(start, size)
            else:
                contender.page_keyset(start if page > 1 else None, size)
        return fetches

    return run


def run_paging(
    contenders: dict[str, Contender], reps: int, size: int, far: int, fetches: int, settle: bool
) -> tuple[list[Outcome], list[Outcome]]:
    """Outcomes for page 1 and for page ``far`` (with ``far_over_first``: how much slower it is)."""
    cases: list[Case] = []
    for name, kind in _KINDS:
        label = f"{name} ({kind})"
        for page in (1, far):
            case = Case(label, contenders[name], _fetcher(contenders[name], kind, page, size, fetches))
            case.outcome.extra["page"] = page
            cases.append(case)
    run_cases(cases, reps, baseline=None, quiet_warmup=settle)
    firsts = [case.outcome for case in cases if case.outcome.extra["page"] == 1]
    fars = [case.outcome for case in cases if case.outcome.extra["page"] == far]
    for group in (firsts, fars):
        _ratios(group)
    for first, last in zip(firsts, fars, strict=True):
        if first.status == last.status == "ok":
            ratio, spread = paired(first.samples, last.samples)
            last.extra["far_over_first"], last.extra["far_over_first_spread"] = ratio, spread
    return firsts, fars


def _ratios(group: list[Outcome]) -> None:
    base = next(outcome for outcome in group if outcome.contender == BASELINE_PAGING)
    for outcome in group:
        outcome.compare(base)
