"""Relationships for the fakes: read from foreign keys and association rows, written back to them.

A relationship is kept as a real database keeps it: in the foreign key columns
of a row (one-to-many, many-to-one) or in the rows of its association table
(many-to-many). Loading fills it from those, as SQLAlchemy's loaders do; a flush
writes what the code changed back to them, as SQLAlchemy's flush does. Viewonly
relationships are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from sqlalchemy import Column, Table
from sqlalchemy.orm import RelationshipDirection
from sqlalchemy.orm.attributes import instance_dict, set_committed_value

from ..._mapping import memo

if TYPE_CHECKING:
    from sqlalchemy.orm import Mapper, RelationshipProperty

__all__ = [
    "Link",
    "Relation",
    "associations",
    "contents",
    "fill",
    "find",
    "relations",
    "release",
    "write_keys",
]

Link: TypeAlias = "tuple[tuple[str, Any], ...]"
"""One row of an association table: ``(column name, value)`` pairs, sorted."""

_Pairs: TypeAlias = "tuple[tuple[str, str], ...]"


@dataclass(frozen=True)
class Relation:
    """One relationship of a mapper, by attribute names.

    ``pairs`` are ``(source, destination)``: a one-to-many copies the parent's
    ``source`` to each child's ``destination``, a many-to-one the target's
    ``source`` to the object's own ``destination``, a many-to-many the parent's
    ``source`` to the association column ``destination``; ``target_pairs`` copy
    a many-to-many target's attribute to its association column.
    """

    key: str
    direction: RelationshipDirection
    target: Mapper[Any]
    pairs: _Pairs
    target_pairs: _Pairs
    secondary: Table | None
    many: bool
    cascades: bool  # save-update: objects put in it join the session
    order_by: tuple[str, ...]


def relations(mapper: Mapper[Any]) -> tuple[Relation, ...]:
    """The relationships the fakes keep (every one but the viewonly ones)."""
    return memo(mapper, _relations)


def _relations(mapper: Mapper[Any]) -> tuple[Relation, ...]:
    return tuple(_relation(prop) for prop in mapper.relationships if not prop.viewonly)


def _relation(prop: RelationshipProperty[Any]) -> Relation:
    source, destination = prop.parent, prop.mapper
    if prop.direction is RelationshipDirection.MANYTOONE:
        source, destination = prop.mapper, prop.parent
    many_to_many = prop.direction is RelationshipDirection.MANYTOMANY
    pairs = tuple(
        (_name(source, a), b.name if many_to_many else _name(destination, b))
        for a, b in prop.synchronize_pairs
    )
    order_by = prop.order_by if isinstance(prop.order_by, Sequence) else ()
    secondary: object = prop.secondary
    return Relation(
        key=prop.key,
        direction=prop.direction,
        target=prop.mapper,
        pairs=pairs,
        target_pairs=tuple(
            (_name(prop.mapper, a), b.name) for a, b in prop.secondary_synchronize_pairs or ()
        ),
        secondary=cast("Table", secondary) if isinstance(secondary, Table) else None,
        many=bool(prop.uselist),
        cascades=prop.cascade.save_update,
        order_by=tuple(
            _name(prop.mapper, column)
            for column in order_by
            if isinstance(column, Column) and column.table is prop.mapper.local_table
        ),
    )


def _name(mapper: Mapper[Any], column: Any) -> str:
    return mapper.get_property_by_column(column).key


def contents(obj: object, relation: Relation) -> tuple[Any, ...] | None:
    """The objects ``relation`` holds now, or None when it was never loaded nor set (never loads)."""
    state = instance_dict(obj)
    if relation.key not in state:
        return None
    value = state[relation.key]
    if relation.many:
        return tuple(value)
    return () if value is None else (value,)


def fill(obj: object, relation: Relation, targets: list[Any]) -> tuple[Any, ...]:
    """Set ``relation`` as loaded from the database, with no change recorded; what it now holds."""
    if relation.many:
        if relation.order_by:
            targets = sorted(targets, key=lambda t: tuple(getattr(t, name) for name in relation.order_by))
        set_committed_value(obj, relation.key, targets)
        return tuple(targets)
    set_committed_value(obj, relation.key, targets[0] if targets else None)
    return tuple(targets[:1])


def find(obj: object, relation: Relation, candidates: Iterable[Any], links: Iterable[Link]) -> list[Any]:
    """The ``candidates`` (targets, by primary key) that ``relation`` of ``obj`` holds in the database."""
    if relation.direction is RelationshipDirection.MANYTOMANY:
        mine = {(column, getattr(obj, name)) for name, column in relation.pairs}
        wanted = {
            tuple(row[column] for _, column in relation.target_pairs)
            for row in (dict(link) for link in links)
            if mine <= row.items()
        }
        return [t for t in candidates if tuple(getattr(t, n) for n, _ in relation.target_pairs) in wanted]
    if relation.direction is RelationshipDirection.MANYTOONE:
        wanted_values = [(source, getattr(obj, destination)) for source, destination in relation.pairs]
    else:
        wanted_values = [(destination, getattr(obj, source)) for source, destination in relation.pairs]
    if any(value is None for _, value in wanted_values):
        return []
    return [t for t in candidates if all(getattr(t, name) == value for name, value in wanted_values)]


def associations(obj: object, relation: Relation, targets: Iterable[Any]) -> set[Link]:
    """The association rows that tie ``obj`` to ``targets`` through a many-to-many ``relation``."""
    mine = [(column, getattr(obj, name)) for name, column in relation.pairs]
    return {
        tuple(sorted(mine + [(column, getattr(target, name)) for name, column in relation.target_pairs]))
        for target in targets
    }


def write_keys(obj: object, relation: Relation, before: tuple[Any, ...], now: tuple[Any, ...]) -> None:
    """Copy keys as a flush does for what a one-to-many or many-to-one ``relation`` gained.

    A one-to-many gives each new child the parent's key; a many-to-one changed
    since ``before`` takes its target's key (None for no target).
    """
    if relation.direction is RelationshipDirection.MANYTOONE:
        if [id(t) for t in now] != [id(t) for t in before]:
            target = now[0] if now else None
            for source, destination in relation.pairs:
                _set(obj, destination, None if target is None else getattr(target, source))
    elif relation.direction is RelationshipDirection.ONETOMANY:
        for child in gained(before, now):
            for source, destination in relation.pairs:
                _set(child, destination, getattr(obj, source))


def release(relation: Relation, before: tuple[Any, ...], now: tuple[Any, ...]) -> None:
    """Set the foreign keys of the children a one-to-many ``relation`` lost to None, as a flush does."""
    if relation.direction is RelationshipDirection.ONETOMANY:
        for child in gained(now, before):
            for _, destination in relation.pairs:
                _set(child, destination, None)


def gained(before: tuple[Any, ...], now: tuple[Any, ...]) -> list[Any]:
    """The objects in ``now`` that ``before`` does not hold (by identity, never by ``==``)."""
    had = {id(obj) for obj in before}
    return [obj for obj in now if id(obj) not in had]


def _set(obj: object, name: str, value: Any) -> None:
    if getattr(obj, name) != value:
        setattr(obj, name, value)
