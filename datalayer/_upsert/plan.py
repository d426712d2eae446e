"""What an upsert of one model may send: the names checked, the match key found, worked out once per model.

Every refusal happens before anything is sent, and names the model, the
attribute or the key, and what to give instead. Shared by the in-memory fake.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple, cast

from sqlalchemy import Column, ColumnElement, Table, literal
from sqlalchemy.orm import Mapper

from .._attributes import check_attributes, check_insertable
from .._column_defaults import python_default
from .._mapping import canonical, memo, primary_key_attributes, unique_keys
from .._unflushed import table_of
from ..errors import UsageError
from .keys import arbiter, other_keys

__all__ = ["Plan", "match_names", "plan_for"]

_INSTEAD = "set it on the object upsert returns, then flush"


class Plan(NamedTuple):
    """An upsert of one model with one set of names: which columns it inserts, matches and updates."""

    columns: tuple[Column[Any], ...]
    """The column of each given name, in the order given."""
    match: tuple[Column[Any], ...]
    """The columns of the unique key that decides between INSERT and UPDATE."""
    updates: tuple[Column[Any], ...]
    """The given columns but the match: what the UPDATE sets."""
    onupdate: tuple[tuple[Column[Any], Any], ...]
    """The other columns with a Python-side ``onupdate``: its value or SQL expression, or its function."""
    calls: bool
    """An ``onupdate`` is a function, called for each statement (which is then never cached)."""
    other_keys: bool
    """Another unique key than the match may hold the row's values (MariaDB checks each row then)."""
    match_attributes: tuple[str, ...]
    """The attribute of each ``match`` column: the row's names of its match values."""
    update_attributes: tuple[str, ...]
    """The attribute of each ``updates`` column: the row's names of the values the UPDATE sets."""


def match_names(match: object) -> tuple[str, ...]:
    """``match`` as a tuple of names: a name alone or an iterable of them; a UsageError otherwise."""
    names: tuple[object, ...] = ()
    if isinstance(match, str):
        names = (match,)
    elif isinstance(match, Iterable):
        names = tuple(cast("Iterable[object]", match))
    if not names or not all(isinstance(name, str) for name in names):
        raise UsageError(
            f"upsert's match names a unique key's attributes, e.g. match=('email',); not {match!r}"
        )
    return cast("tuple[str, ...]", names)


def plan_for(mapper: Mapper[Any], names: tuple[str, ...], match: tuple[str, ...], helper: str) -> Plan:
    """The plan of an upsert of ``mapper``'s class setting ``names``, matched on ``match``: checked, kept.

    Checked once per model, names and match: a later call is one lookup. A
    refusal is not kept, and raised again by every call that asks for it.
    """
    return memo(mapper, _plan, names, match, helper)


def _plan(mapper: Mapper[Any], names: tuple[str, ...], match: tuple[str, ...], helper: str) -> Plan:
    check_insertable(mapper, names, helper=helper, instead=_INSTEAD)
    check_attributes(mapper, dict.fromkeys(match), filters=False)
    model = mapper.class_.__name__
    table = table_of(mapper)
    if table is None or mapper.inherits is not None:
        raise UsageError(
            f"{helper}({model}): a model mapped with inheritance, or to anything but one table, "
            "cannot be upserted"
        )
    if mapper.version_id_col is not None:
        raise UsageError(
            f"{helper}({model}): the UPDATE would skip {model}'s version counter; read the row with "
            "first() and change it, or insert with create_or_first()"
        )
    given = canonical(mapper, dict.fromkeys(names))
    wanted = canonical(mapper, dict.fromkeys(match))
    missing = [name for name in wanted if name not in given]
    if missing:
        raise UsageError(
            f"{helper}({model}, match={match!r}) needs {', '.join(missing)} among the values: the match "
            "values are inserted when no row holds them"
        )
    key = next((key for key in unique_keys(mapper) if set(key.attributes) == wanted.keys()), None)
    if key is None or not arbiter(table, frozenset(key.columns)):
        known = "; ".join(f"({', '.join(key.attributes)})" for key in unique_keys(mapper))
        raise UsageError(
            f"{helper}({model}, match={match!r}): no unique constraint or primary key is on exactly these "
            f"columns, so a row holding them could not be told apart; {model}'s unique keys: {known}"
        )
    primary = primary_key_attributes(mapper)
    changed = [name for name in primary if name in given and name not in wanted]
    if changed:
        raise UsageError(
            f"{helper}({model}): the UPDATE would change the primary key ({', '.join(changed)}) of the row "
            f"holding {', '.join(key.attributes)}: leave it out, or match on it"
        )
    columns = tuple(mapper.columns[name] for name in given)
    match_columns = tuple(mapper.columns[name] for name in key.attributes)
    keyed = set(match_columns)  # columns compare by identity in a set; == would build SQL
    updates = tuple(column for column in columns if column not in keyed)
    others = other_keys(table, frozenset(key.columns), any(name in given for name in primary))
    onupdate = _onupdates(mapper, table, columns)
    calls = any(not isinstance(arg, ColumnElement) for _, arg in onupdate)
    attributes = (
        tuple(mapper.get_property_by_column(column).key for column in found)
        for found in (match_columns, updates)
    )
    return Plan(columns, match_columns, updates, onupdate, calls, others, *attributes)


def _onupdates(mapper: Mapper[Any], table: Table[Any], given: tuple[Column[Any], ...]) -> tuple[Any, ...]:
    found: list[tuple[Column[Any], Any]] = []
    skipped = set(given)  # columns compare by identity in a set; == builds SQL
    for column in table.columns:
        default = column.onupdate
        if column in skipped or default is None:
            continue
        if default.is_clause_element:  # a SQL expression: rendered into the statement
            found.append((column, default.arg))
            continue
        compute = python_default(default)
        if compute is None:
            name = mapper.get_property_by_column(column).key
            raise UsageError(
                f"upsert({mapper.class_.__name__}): {name}'s onupdate function takes SQLAlchemy's execution "
                f"context, which an upsert has none of: give {name} among the values"
            )
        found.append((column, literal(compute(), column.type) if default.is_scalar else compute))
    return tuple(found)
