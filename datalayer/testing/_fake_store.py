"""The in-memory store of the fakes: committed rows, and one unit's transaction over them."""

from __future__ import annotations

import copy
from typing import Any, NoReturn

from sqlalchemy.exc import InvalidRequestError, PendingRollbackError
from sqlalchemy.orm import Mapper

from .._mapping import UniqueKey, mapper_of
from ._fake_rows import Key, Row, clashes, conflict, key_of, load, prepare, restore, row_of, values_of

__all__ = ["FakeDatabase", "FakeSession"]

_Ident = tuple[Mapper[Any], Key]


class FakeDatabase:
    """The committed rows of every model, shared by the fake units of work given it.

    Rows are dicts of column values keyed by primary key, in ``tables[mapper]``;
    nothing in them is shared with the objects that units hand out.

    Example::

        database = FakeDatabase()
        with FakeUnitOfWork(database) as uow:
            uow.repository(User).create(email="a@x.org")
        assert [row["email"] for row in database.rows(User)] == ["a@x.org"]
    """

    def __init__(self) -> None:
        self.tables: dict[Mapper[Any], dict[Key, Row]] = {}
        self.counters: dict[Mapper[Any], int] = {}

    def rows(self, model: type[Any]) -> list[Row]:
        """The committed rows of ``model``, ordered by primary key (copies)."""
        table = self.tables.get(mapper_of(model), {})
        return [copy.deepcopy(table[key]) for key in sorted(table)]


class FakeSession:
    """One transaction on a :class:`FakeDatabase`: an identity map, new and deleted objects.

    Reads see the committed rows plus this session's own work, as one object per
    row. ``commit`` writes the changed columns and the new and deleted rows;
    ``rollback`` drops them and resets loaded objects to the committed rows. After
    a unique conflict from :meth:`add` or :meth:`commit`, everything but
    ``rollback`` raises :class:`~sqlalchemy.exc.PendingRollbackError`, like a
    real session after a failed flush.
    """

    def __init__(self, database: FakeDatabase) -> None:
        self.database = database
        self._loaded: dict[_Ident, Any] = {}
        self._seen: dict[_Ident, Row] = {}  # the values each loaded object had when read or committed
        self._new: dict[int, object] = {}
        self._deleted: dict[int, object] = {}
        self._failed = False
        self._closed = False

    def objects(self, mapper: Mapper[Any]) -> list[Any]:
        """The live objects of ``mapper``'s rows, loaded on first sight, ordered by primary key."""
        self._check()
        found: list[Any] = []
        for key, row in self.database.tables.get(mapper, {}).items():
            obj = self._loaded.get((mapper, key))
            if obj is None:
                obj = self._loaded[mapper, key] = load(mapper, row)
                self._seen[mapper, key] = row
            if id(obj) not in self._deleted:
                found.append(obj)
        found += [obj for obj in self._new.values() if mapper_of(type(obj)) is mapper]
        return sorted(found, key=lambda obj: key_of(mapper, values_of(mapper, obj)))

    def try_add(self, mapper: Mapper[Any], obj: object) -> list[tuple[UniqueKey, Any]]:
        """Insert ``obj`` unless it clashes on a unique key: return the clashes (empty once added)."""
        self._check()
        if id(obj) in self._deleted:
            raise InvalidRequestError(f"Instance {obj!r} has been deleted")
        if self._holds(obj):
            return []
        prepare(mapper, obj, self.database.counters)
        others = [(other, values_of(mapper, other)) for other in self.objects(mapper)]
        found = clashes(mapper, values_of(mapper, obj), others)
        if not found:
            self._new[id(obj)] = obj
        return found

    def add(self, obj: object) -> None:
        """Insert ``obj``; a unique clash raises :class:`ConflictError` and needs a rollback."""
        mapper = mapper_of(type(obj))
        found = self.try_add(mapper, obj)
        if found:
            self._fail(mapper, found[0][0])

    def delete(self, obj: object) -> None:
        """Delete ``obj``, a new or loaded object of this session."""
        self._check()
        if not self._holds(obj):
            raise InvalidRequestError(f"Instance {obj!r} is not persisted")
        self._new.pop(id(obj), None)
        self._deleted[id(obj)] = obj

    def commit(self) -> None:
        """Check every unique key, then write this session's work to the database."""
        self._check()
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
        self.database.tables = tables
        self._loaded = {(mapper, key_of(mapper, row)): obj for mapper, obj, row in live}
        self._seen = {(mapper, key_of(mapper, row)): row_of(mapper, obj) for mapper, obj, row in live}
        self._new.clear()
        self._deleted.clear()

    def rollback(self) -> None:
        """Drop this session's work; loaded objects get the committed rows' values back."""
        self._check(rolling_back=True)
        self._failed = False
        self._new.clear()
        self._deleted.clear()
        for (mapper, key), obj in list(self._loaded.items()):
            row = self.database.tables.get(mapper, {}).get(key)
            if row is None:
                del self._loaded[mapper, key], self._seen[mapper, key]
            else:
                restore(obj, row)
                self._seen[mapper, key] = row

    def close(self) -> None:
        """End the session for good: its objects are let go, any later use raises."""
        self._loaded, self._seen, self._new, self._deleted = {}, {}, {}, {}
        self._closed = True

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
