"""The in-memory store of the fakes: committed rows, and one unit's transaction over them."""

from __future__ import annotations

import copy
from typing import Any, NoReturn

from sqlalchemy import Table
from sqlalchemy.exc import InvalidRequestError, PendingRollbackError
from sqlalchemy.orm import Mapper

from ..._mapping import UniqueKey, mapper_of
from ._graph import (
    Link,
    Relation,
    associations,
    contents,
    fill,
    find,
    gained,
    relations,
    release,
    write_keys,
)
from ._rows import (
    Key,
    Row,
    clashes,
    conflict,
    key_of,
    load,
    prepare,
    require_key,
    restore,
    row_of,
    values_of,
)

__all__ = ["FakeDatabase", "FakeSession"]

_Ident = tuple[Mapper[Any], Key]
_Held = tuple[object, ...]  # the objects a relationship holds


class FakeDatabase:
    """The committed rows of every model, shared by the fake units of work given it.

    Rows are dicts of column values keyed by primary key, in ``tables[mapper]``;
    the rows of many-to-many association tables are in ``associations[table]``,
    each a sorted tuple of ``(column name, value)``. Nothing in them is shared
    with the objects that units hand out.

    Example::

        database = FakeDatabase()
        with FakeUnitOfWork(database) as uow:
            uow.repository(User).create(email="a@x.org")
        assert [row["email"] for row in database.rows(User)] == ["a@x.org"]
    """

    def __init__(self) -> None:
        self.tables: dict[Mapper[Any], dict[Key, Row]] = {}
        self.associations: dict[Table, set[Link]] = {}
        self.counters: dict[Mapper[Any], int] = {}

    def rows(self, model: type[Any]) -> list[Row]:
        """The committed rows of ``model``, ordered by primary key (copies)."""
        table = self.tables.get(mapper_of(model), {})
        return [copy.deepcopy(table[key]) for key in sorted(table)]


class FakeSession:
    """One transaction on a :class:`FakeDatabase`: an identity map, new and deleted objects.

    Reads see the committed rows plus this session's own work, as one object per
    row, with its relationships loaded from the foreign keys and association
    rows. Each read and ``commit`` first flushes: objects put in a relationship
    join the session, and relationships write their keys. ``commit`` writes the
    changed columns, the new and deleted rows and association rows; ``rollback``
    drops them and resets loaded objects, relationships included, to the
    committed state. After a unique conflict from :meth:`add` or :meth:`commit`,
    everything but ``rollback`` raises :class:`~sqlalchemy.exc.PendingRollbackError`,
    like a real session after a failed flush.
    """

    def __init__(self, database: FakeDatabase) -> None:
        self.database = database
        self._loaded: dict[_Ident, Any] = {}
        self._seen: dict[_Ident, Row] = {}  # the values each loaded object had when read or committed
        self._held: dict[int, dict[str, _Held]] = {}  # what its relationships held then, by id(object)
        self._new: dict[int, object] = {}
        self._deleted: dict[int, object] = {}
        self._failed = False
        self._closed = False
        self.transactions_ended = 0
        """How many transactions have ended (commit, rollback, close): a stream reads in one."""

    def objects(self, mapper: Mapper[Any]) -> list[Any]:
        """The live objects of ``mapper``'s rows, loaded on first sight, ordered by primary key."""
        self._check()
        self._flush()
        return self._view(mapper)

    def try_add(self, mapper: Mapper[Any], obj: object) -> list[tuple[UniqueKey, Any]]:
        """Insert ``obj`` unless it clashes on a unique key: return the clashes (empty once added)."""
        self._check()
        if id(obj) in self._deleted:
            raise InvalidRequestError(f"Instance {obj!r} has been deleted")
        self._flush()
        if self._holds(obj):
            return []
        found = self._insert(mapper, obj)
        if not found:
            self._flush()
        return found

    def add(self, obj: object) -> None:
        """Insert ``obj``; a unique clash raises :class:`ConflictError` and needs a rollback."""
        mapper = mapper_of(type(obj))
        found = self.try_add(mapper, obj)
        if found:
            self._fail(mapper, found[0][0])

    def update(self, mapper: Mapper[Any], obj: object, values: Row) -> None:
        """Set ``values`` on ``obj``, a live object of this session; a unique clash raises ConflictError.

        Checked at once, as an UPDATE is: after a clash nothing is set, and the
        session needs a rollback.
        """
        self._check()
        self._flush()
        others = [(other, values_of(mapper, other)) for other in self._view(mapper) if other is not obj]
        found = clashes(mapper, values_of(mapper, obj) | values, others)
        if found:
            self._fail(mapper, found[0][0])
        restore(obj, values)

    def delete(self, obj: object) -> None:
        """Delete ``obj``, a new or loaded object of this session."""
        self._check()
        if not self._holds(obj):
            raise InvalidRequestError(f"Instance {obj!r} is not persisted")
        self._new.pop(id(obj), None)
        self._deleted[id(obj)] = obj

    def commit(self) -> None:
        """Flush, check every unique key, then write this session's work to the database."""
        self._check()
        self._flush()
        tables = {mapper: dict(rows) for mapper, rows in self.database.tables.items()}
        live: list[tuple[Mapper[Any], Any, Row]] = []
        for (mapper, key), obj in self._loaded.items():
            row = tables.setdefault(mapper, {}).pop(key, None)
            if row is not None and id(obj) not in self._deleted:
                seen, now = self._seen[mapper, key], row_of(mapper, obj)
                live.append((mapper, obj, row | {k: v for k, v in now.items() if v != seen[k]}))
        live += [(mapper_of(type(obj)), obj, row_of(mapper_of(type(obj)), obj)) for obj in self._new.values()]
        for mapper, _, row in live:
            table = tables.setdefault(mapper, {})
            others = [(None, other) for other in table.values()]
            found = clashes(mapper, row, others)
            if found:
                self._fail(mapper, found[0][0])
            table[key_of(mapper, row)] = row
        self.database.associations = self._associations()
        self.database.tables = tables
        self._loaded = {(mapper, key_of(mapper, row)): obj for mapper, obj, row in live}
        self._seen = {(mapper, key_of(mapper, row)): row_of(mapper, obj) for mapper, obj, row in live}
        self._held = {id(obj): self._holding(obj) for _, obj, _ in live}
        self._new.clear()
        self._deleted.clear()
        self.transactions_ended += 1

    def rollback(self) -> None:
        """Drop this session's work; loaded objects get the committed rows and relationships back."""
        self._check(rolling_back=True)
        self._failed = False
        self._new.clear()
        self._deleted.clear()
        self._held.clear()
        for (mapper, key), obj in list(self._loaded.items()):
            row = self.database.tables.get(mapper, {}).get(key)
            if row is None:
                del self._loaded[mapper, key], self._seen[mapper, key]
            else:
                restore(obj, row)
                self._seen[mapper, key] = row
        for obj in list(self._loaded.values()):
            self._fill(obj)
        self.transactions_ended += 1

    def close(self) -> None:
        """End the session for good: its objects are let go, any later use raises."""
        self._loaded, self._seen, self._held, self._new, self._deleted = {}, {}, {}, {}, {}
        self._closed = True
        self.transactions_ended += 1

    def _view(self, mapper: Mapper[Any]) -> list[Any]:
        """This session's objects of ``mapper``, by primary key; rows never seen are loaded, then filled."""
        loaded: list[Any] = []
        for key, row in self.database.tables.get(mapper, {}).items():
            if (mapper, key) not in self._loaded:
                loaded.append(load(mapper, row))
                self._loaded[mapper, key], self._seen[mapper, key] = loaded[-1], row
        for obj in loaded:  # all registered first: one more row never loads the rest again, recursively
            self._fill(obj)
        found = [obj for (m, _), obj in self._loaded.items() if m is mapper and id(obj) not in self._deleted]
        found += [obj for obj in self._new.values() if mapper_of(type(obj)) is mapper]
        return sorted(found, key=lambda obj: key_of(mapper, values_of(mapper, obj)))

    def _fill(self, obj: object, *, missing_only: bool = False) -> None:
        """Load the object's relationships (those never loaded nor set, with ``missing_only``)."""
        held = self._held.setdefault(id(obj), {})
        for relation in relations(mapper_of(type(obj))):
            if missing_only and contents(obj, relation) is not None:
                continue
            links: set[Link] = set()
            if relation.secondary is not None:
                links = self._associations().get(relation.secondary, set())
            held[relation.key] = fill(obj, relation, find(obj, relation, self._view(relation.target), links))

    def _insert(self, mapper: Mapper[Any], obj: object) -> list[tuple[UniqueKey, Any]]:
        prepare(mapper, obj, self.database.counters)
        require_key(mapper, obj)
        found = clashes(
            mapper, values_of(mapper, obj), [(o, values_of(mapper, o)) for o in self._view(mapper)]
        )
        if not found:
            self._new[id(obj)] = obj
        return found

    def _flush(self) -> None:
        """What a flush does before a read or a commit: cascade new objects in, write relationship keys."""
        live: list[object] = [obj for obj in self._loaded.values() if id(obj) not in self._deleted]
        live += self._new.values()
        known = {id(obj) for obj in live} | self._deleted.keys()
        reached: list[object] = []
        walked = [*live]
        for obj in walked:  # walked grows as the loop goes: every object put in a relationship joins
            for relation in relations(mapper_of(type(obj))):
                for target in self._now(obj, relation) if relation.cascades else ():
                    if id(target) not in known:
                        known.add(id(target))
                        reached.append(target)
                        walked.append(target)
                        prepare(mapper_of(type(target)), target, self.database.counters)
        changes = [
            (obj, relation, self._before(obj, relation))
            for obj in [*live, *reached, *self._deleted.values()]
            for relation in relations(mapper_of(type(obj)))
        ]
        for obj, relation, before in changes:
            release(relation, before, () if id(obj) in self._deleted else self._now(obj, relation))
        for obj, relation, before in changes:
            if id(obj) not in self._deleted:
                write_keys(obj, relation, before, self._now(obj, relation))
        for obj in reached:
            found = self._insert(mapper_of(type(obj)), obj)
            if found:
                self._fail(mapper_of(type(obj)), found[0][0])
        for obj in list(self._new.values()):
            self._fill(obj, missing_only=True)

    def _associations(self) -> dict[Table, set[Link]]:
        """The association rows as this session sees them: committed ones, with its changes."""
        found = {table: set(rows) for table, rows in self.database.associations.items()}
        changed: list[object] = [obj for obj in self._loaded.values() if id(obj) not in self._deleted]
        for obj in [*changed, *self._new.values(), *self._deleted.values()]:
            for relation in relations(mapper_of(type(obj))):
                if relation.secondary is not None:
                    before = self._before(obj, relation)
                    now = () if id(obj) in self._deleted else self._now(obj, relation)
                    rows = found.setdefault(relation.secondary, set())
                    rows -= associations(obj, relation, gained(now, before))
                    rows |= associations(obj, relation, gained(before, now))
        return found

    def _before(self, obj: object, relation: Relation) -> _Held:
        return self._held.get(id(obj), {}).get(relation.key, ())

    def _now(self, obj: object, relation: Relation) -> _Held:
        held = contents(obj, relation)
        return self._before(obj, relation) if held is None else held

    def _holding(self, obj: object) -> dict[str, _Held]:
        return {relation.key: self._now(obj, relation) for relation in relations(mapper_of(type(obj)))}

    def _holds(self, obj: object) -> bool:
        return id(obj) in self._new or any(loaded is obj for loaded in self._loaded.values())

    def _check(self, *, rolling_back: bool = False) -> None:
        if self._closed:
            raise InvalidRequestError("This fake session has been permanently closed: its unit of work ended")
        if self._failed and not rolling_back:
            raise PendingRollbackError("A unique conflict failed this fake transaction: roll it back first")

    def _fail(self, mapper: Mapper[Any], key: UniqueKey) -> NoReturn:
        self._failed = True
        raise conflict(mapper, key)
