"""In-memory fakes of Repository and UnitOfWork, for unit tests of services with no database.

Emulated, as the real ones do it: keyword filters by Python equality (None
matches None); ``all`` and ``first`` ordered by primary key; attribute names and
models checked by the real helpers' own checks (``UnknownAttributeError``,
``UnmappedClassError``); single-column integer autoincrement keys assigned from
a counter (never reused, moved past explicit keys); scalar Python-side column
defaults; every unique key (primary key, unique constraints, unique indexes)
checked on ``create``/``add``/``create_many`` and again on commit (``ConflictError``,
after which the unit must be rolled back); ``create_many`` refusing the rows the
real one refuses, by the same checks; ``stream`` and ``page`` checking their
arguments and cursor as the real ones do; ``create_or_first`` returning the row that holds
the conflicting key, or ``ConflictError`` when the given attributes do not cover
it; ``upsert`` and ``upsert_many`` checking their arguments by the real ones' checks
and updating the object that holds the match key (a clash on another unique key
raising ``ConflictError`` at once) or adding one, built as a loaded row; one object
per row within a unit; commit writing only the changed columns;
rollback dropping new objects, restoring deleted ones and resetting loaded
objects to the committed values; a unit sees others' commits, never their
uncommitted work. Object graphs: relationships loaded from foreign keys and
association rows (one object per row wherever it is reached), and a flush before
each read and commit that brings objects put in relationships into the unit and
writes their foreign keys and association rows; rollback restores relationships.
Read models: a repository of a view (``FakeRepository[UserRow]``) shows the
model's objects as views, built from their attributes, and refuses every write
with the real one's error.

Not emulated: SQL (no ``select``/``scalars``: write custom queries in Python on
a :class:`FakeRepository` subclass), a stream's server-side cursor (the matches
are read when the loop starts; a commit mid-loop raises ``StreamInterruptedError``
as on a database),
server and SQL-expression defaults, callable
defaults and ``onupdate`` (the attribute stays None), viewonly relationships and
joins on anything but foreign keys, delete cascades and delete-orphan, foreign
key checks, NOT NULL and CHECK constraints, collations
(MariaDB compares strings case-insensitively), type coercion, inheritance,
changing a primary key, locking and isolation levels (the last commit wins);
``add`` of an object from another unit inserts it as new.

FakeAsyncUnitOfWork and FakeAsyncRepository are the asyncio fronts of the same
fakes: FakeUnitOfWork's block and FakeRepository's methods, awaited, on the same
store; they emulate exactly the above.
"""

from __future__ import annotations

from ._async_repository import FakeAsyncRepository
from ._async_unit import FakeAsyncUnitOfWork
from ._repository import FakeRepository
from ._store import FakeDatabase, FakeSession
from ._unit import FakeUnitOfWork

__all__ = [
    "FakeAsyncRepository",
    "FakeAsyncUnitOfWork",
    "FakeDatabase",
    "FakeRepository",
    "FakeSession",
    "FakeUnitOfWork",
]
