"""Arbitrary strings through the helpers, on every backend: stored and read back exactly, or refused clearly.

Quotes, SQL and placeholder look-alikes, unicode of every plane, NUL, lone
surrogates, whitespace and values around the column's length. A value the
database can hold must come back unchanged (by primary key in a new session,
and by ``first(email=value)``); one it cannot hold must be refused with an error
naming the problem (a lone surrogate cannot be encoded; PostgreSQL refuses NUL;
datalayer refuses a value longer than its ``String(length)``, on every
database), and a refusal never takes the rest of the unit's work with it.

MariaDB compares strings by the column's collation (here utf8mb4_general_ci:
case-, accent- and trailing-space-insensitive, every character outside the
BMP equal to every other), so two different values can meet on the unique
``email``. Each example's value therefore starts with a prefix of its own
("v000123:"), and values of different examples never compare equal.

Left to themselves, both servers cut an over-long value silently when its
excess is only whitespace (PostgreSQL: spaces, as the SQL standard says;
MariaDB, even in strict mode: spaces, tabs, CR, LF, VT, FF, with a mere Note
1265). The last test checks that no way of writing lets that happen.

The budget is small and fixed (``derandomize``, no example database): CI sees
the same examples on every run.
"""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from datalayer import UnitOfWork
from datalayer.errors import DatalayerError
from tests.conftest import Env

EMAIL_LENGTH = 200  # t_users.email is String(200)
SPECIAL = "'\"\\`%_;-?:$@(){}[]\x00 \t\n\r\x0b\x0c\x85\xa0\u2028\u3000\ufeff\u200b"
REFUSALS = (sa_exc.DBAPIError, DatalayerError, UnicodeEncodeError)
# datalayer's ValueTooLongError ("User.email is too long: ..."), or the servers' own messages ("value too
# long for type character varying(200)", "Data too long for column 'email'").
TOO_LONG = r"\btoo long\b"
# The whitespace each server drops, without an error, from the end of a value longer than its column.
SILENTLY_CUT = {"postgresql": " ", "mariadb": " \t\n\x0b\x0c\r"}

surrogates = st.characters(categories=["Cs"])
values = st.one_of(
    st.text(max_size=40),  # any code point but surrogates
    st.text(alphabet=SPECIAL, max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "trailing  ",
            "'; DROP TABLE t_users; --",
            "%(email)s",
            ":email",
            "%s",
            "?",
            "a\x00b",
            "ß",
            "😀",
        ]
    ),
    st.tuples(st.text(max_size=10), surrogates, st.text(max_size=10)).map("".join),
    # 180 to 420 characters: on both sides of the column's length, prefix included.
    st.tuples(st.text(min_size=1, max_size=3), st.integers(180, 420)).map(lambda p: (p[0] * p[1])[: p[1]]),
)
budget = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_examples = itertools.count()


def distinct(value: str) -> str:
    """``value`` behind a prefix no other example has (see the module's note on MariaDB collations)."""
    return f"v{next(_examples):06d}:{value}"  # fixed width: lengths do not depend on the test order


def problems(backend: str, value: str) -> dict[str, str]:
    """Why ``backend`` must refuse ``value``: each problem with a pattern its error must match."""
    found: dict[str, str] = {}
    if any(0xD800 <= ord(char) <= 0xDFFF for char in value):
        found["lone surrogate"] = "surrogates not allowed"
    if backend == "postgresql" and "\x00" in value:
        found["NUL"] = re.escape("cannot contain NUL (0x00)")
    if len(value) > EMAIL_LENGTH:  # refused by datalayer, before anything is sent
        found["too long"] = TOO_LONG
    return found


def assert_refused_clearly(error: BaseException, value: str, expected: dict[str, str]) -> None:
    """``error`` refuses ``value`` for one of the reasons it must be refused for, and names it."""
    assert isinstance(error, REFUSALS), repr(error)
    assert expected, f"{value!r} refused for no reason: {error!r}"
    assert re.search("|".join(expected.values()), str(error)), f"{error!r} names none of {list(expected)}"


def stored(env: Env, value: str) -> list[str]:
    """The emails stored under ``value``'s example prefix, read in a new session."""
    prefix = value.split(":", 1)[0] + ":"
    with env.db.Session() as dbs:
        User = env.models.User
        return list(dbs.scalars(select(User.email).where(User.email.startswith(prefix))))


@budget
@given(raw=values)
def test_any_string_is_stored_and_read_back_exactly_or_refused_with_a_clear_error(env: Env, raw: str) -> None:
    User, value = env.models.User, distinct(raw)
    expected = problems(env.backend, value)
    try:
        with UnitOfWork(env.db) as uow:
            user_id = uow.session.create(User, email=value).id
    except REFUSALS as error:
        assert_refused_clearly(error, value, expected)
        assert stored(env, value) == []
        return
    assert not expected, f"{value!r} was accepted despite {list(expected)}"
    with env.db.Session() as dbs:  # a new session: read from the database, not the identity map
        assert dbs.get(User, user_id).email == value
        found = dbs.first(User, email=value)
        assert found is not None and found.id == user_id and found.email == value
    assert stored(env, value) == [value]


@budget
@given(raw=values)
def test_a_value_refused_by_create_or_first_leaves_the_rest_of_the_unit_to_commit(env: Env, raw: str) -> None:
    User, value, other = env.models.User, distinct(raw), distinct("other@x.org")
    expected = problems(env.backend, value)
    refused: BaseException | None = None
    with UnitOfWork(env.db) as uow:
        kept = uow.session.create(User, email=other)
        try:
            made = uow.session.create_or_first(User, email=value)
        except REFUSALS as error:
            refused = error
        else:
            assert made.email == value
        uow.session.create(env.models.Order, user_id=kept.id, item="after")  # the session still works
    if refused is not None:
        assert_refused_clearly(refused, value, expected)
    else:
        assert not expected, f"{value!r} was accepted despite {list(expected)}"
    assert stored(env, other) == [other]
    assert stored(env, value) == ([] if refused else [value])
    with env.db.Session() as dbs:
        assert [order.item for order in dbs.all(env.models.Order, user_id=kept.id)] == ["after"]


@budget
@given(raw=values)
def test_a_refusal_left_unhandled_rolls_the_whole_unit_back_and_the_next_unit_works(
    env: Env, raw: str
) -> None:
    User = env.models.User
    value, other, after = distinct(raw), distinct("other@x.org"), distinct("after@x.org")
    expected = problems(env.backend, value)
    try:
        with UnitOfWork(env.db) as uow:
            uow.session.create(User, email=other)
            assert uow.session.first_or_create(User, email=value).email == value
    except REFUSALS as error:
        assert_refused_clearly(error, value, expected)
        assert stored(env, other) == [] and stored(env, value) == []  # the whole unit, not half of it
    else:
        assert not expected, f"{value!r} was accepted despite {list(expected)}"
        assert stored(env, other) == [other] and stored(env, value) == [value]
    with UnitOfWork(env.db) as uow:
        uow.session.create(User, email=after)
    assert stored(env, after) == [after]


@pytest.mark.parametrize("excess", [" ", "\t"], ids=["spaces", "tabs"])
@pytest.mark.parametrize("path", ["create", "add", "update"])
def test_a_value_longer_than_its_column_is_refused_or_stored_whole_never_cut(
    env: Env, path: str, excess: str
) -> None:
    prefix = distinct("")
    value = prefix + "x" * 190 + excess * 20
    assert len(value) > EMAIL_LENGTH
    User = env.models.User
    try:
        with UnitOfWork(env.db) as uow:
            if path == "create":
                uow.session.create(User, email=value)
            elif path == "add":
                uow.session.add(User(email=value))  # flushed by the unit on its way out
            else:
                user = uow.session.create(User, email=prefix + "short")
                user.email = value
    except REFUSALS as error:
        assert_refused_clearly(error, value, {"too long": TOO_LONG})
        assert stored(env, value) == []
    else:
        assert path != "create", "the helpers refuse an over-long value on every database"
        assert stored(env, value) == [value], "stored cut, and the unit said nothing"
