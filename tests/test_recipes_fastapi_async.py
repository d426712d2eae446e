"""The async FastAPI recipe of docs/recipes.md, run as written, on every async driver.

The page's ``async_models.py`` and ``fastapi_async_app.py`` blocks are executed as the modules
``async_models`` and ``fastapi_async_app``, with ``DATABASE_URL`` set to the ``aenv`` fixture's database on
its async driver (aiosqlite, asyncpg, psycopg, aiomysql); the recipe's tables are created for each test and
dropped after it. Requests go through httpx's ``AsyncClient`` over an ``ASGITransport``, which runs the
application on the test's event loop, the loop the recipe's pooled connections belong to. Requests commit
for real.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from sqlalchemy import ForeignKey, select
from sqlalchemy.orm import Mapped, mapped_column

from datalayer.asyncio import AsyncDatabase
from datalayer.errors import DeadlockError, StaleConflictError
from tests._recipes import execute, titled_blocks
from tests.conftest import AsyncEnv

MODULES = ("async_models", "fastapi_async_app")


@dataclass
class AsyncRecipe:
    backend: str  # "sqlite", "postgresql" or "mariadb"
    driver: str
    models: Any
    app_module: Any
    Note: Any  # a test-only table whose foreign key is checked at COMMIT (None on MariaDB)

    @property
    def adb(self) -> AsyncDatabase:
        return self.models.adb  # type: ignore[no-any-return]

    def checked_out(self) -> int:
        return int(self.adb.engine.pool.checkedout())  # type: ignore[attr-defined]

    async def emails(self) -> list[str]:
        async with self.adb.Session() as s:  # a connection of its own: committed rows only
            return [user.email for user in await s.all(self.models.User)]


@pytest.fixture
async def recipe(aenv: AsyncEnv, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AsyncRecipe]:
    monkeypatch.setenv("DATABASE_URL", aenv.adb.url.render_as_string(hide_password=False))
    blocks = titled_blocks()
    saved = {name: sys.modules.pop(name, None) for name in MODULES}
    models = execute(*blocks["async_models.py"], MODULES[0])
    adb: AsyncDatabase = models.adb
    try:
        app_module = execute(*blocks["fastapi_async_app.py"], MODULES[1])
        note: Any = None
        if aenv.backend != "mariadb":  # MariaDB has no deferred constraints

            class Note(adb.Model):
                __tablename__ = "recipe_notes"
                id: Mapped[int] = mapped_column(primary_key=True)
                user_id: Mapped[int] = mapped_column(
                    ForeignKey("users.id", deferrable=True, initially="DEFERRED")
                )

            note = Note

        await adb.drop_all()
        await adb.create_all()
        yield AsyncRecipe(aenv.backend, aenv.driver, models, app_module, note)
    finally:
        await adb.drop_all()
        await adb.dispose()
        for name, module in saved.items():
            sys.modules.pop(name, None)
            if module is not None:
                sys.modules[name] = module


def client_for(app: Any) -> httpx2.AsyncClient:
    # raise_app_exceptions=False: an unhandled error is the 500 response a client gets, not a test error.
    transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx2.AsyncClient(transport=transport, base_url="http://recipe.test")


@pytest.fixture
async def client(recipe: AsyncRecipe) -> AsyncIterator[httpx2.AsyncClient]:
    async with client_for(recipe.app_module.app) as made:
        yield made


Send = Callable[..., Awaitable[httpx2.Response]]


@pytest.fixture
def request_and_check(recipe: AsyncRecipe, client: httpx2.AsyncClient) -> Send:
    """Send a request; then no connection of the recipe's engine may still be checked out."""

    async def send(method: str, url: str, **kwargs: Any) -> httpx2.Response:
        response = await client.request(method, url, **kwargs)
        assert recipe.checked_out() == 0, f"{method} {url} left a connection checked out"
        return response

    return send


def add_route(app: Any, method: str, path: str, endpoint: Callable[..., Any], **annotations: Any) -> None:
    """Route a test-only endpoint whose parameters are typed with the recipe's dependencies."""
    endpoint.__annotations__.update(annotations)  # real objects: this module's annotations are strings
    app.add_api_route(path, endpoint, methods=[method])


class AtResponseStart:
    """ASGI middleware that awaits ``check()`` when the response starts, before anything is sent."""

    def __init__(self, app: Any, check: Callable[[], Awaitable[object]]) -> None:
        self.app = app
        self.check = check
        self.seen: list[object] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def checking_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.seen.append(await self.check())
            await send(message)

        await self.app(scope, receive, checking_send)


async def test_a_successful_request_commits_before_its_response_starts(recipe: AsyncRecipe) -> None:
    async def committed_and_closed() -> tuple[bool, int]:
        checked_out = recipe.checked_out()  # before this check opens a connection of its own
        return "alice@x.org" in await recipe.emails(), checked_out

    probe = AtResponseStart(recipe.app_module.app, committed_and_closed)
    async with client_for(probe) as client:
        response = await client.post("/users", json={"email": "alice@x.org", "name": "Alice"})
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], "email": "alice@x.org", "name": "Alice"}
    assert probe.seen == [(True, 0)]


async def test_creating_a_taken_email_is_a_409_and_keeps_the_first(
    recipe: AsyncRecipe, request_and_check: Send
) -> None:
    first = await request_and_check("post", "/users", json={"email": "a@x.org", "name": "First"})
    assert first.status_code == 201

    again = await request_and_check("post", "/users", json={"email": "a@x.org", "name": "Second"})

    assert again.status_code == 409
    assert "unique constraint" in again.json()["detail"]
    async with recipe.adb.Session() as s:
        assert [(u.email, u.name) for u in await s.all(recipe.models.User)] == [("a@x.org", "First")]


async def test_a_request_whose_endpoint_raises_rolls_back(
    recipe: AsyncRecipe, request_and_check: Send
) -> None:
    emails = ["a@x.org", "b@x.org", "a@x.org"]
    response = await request_and_check("post", "/users/batch", json={"emails": emails})
    assert response.status_code == 409
    assert await recipe.emails() == []  # a@ and b@ were flushed, then rolled back

    response = await request_and_check("post", "/users/batch", json={"emails": ["a@x.org", "b@x.org"]})
    assert response.status_code == 201
    assert await recipe.emails() == ["a@x.org", "b@x.org"]


async def test_an_unexpected_error_is_a_500_and_rolls_back(
    recipe: AsyncRecipe, request_and_check: Send
) -> None:
    async def boom(users: Any) -> None:
        await users.create(email="boom@x.org")
        raise RuntimeError("boom")

    add_route(recipe.app_module.app, "POST", "/test/boom", boom, users=recipe.app_module.Users)
    response = await request_and_check("post", "/test/boom")
    assert response.status_code == 500
    assert await recipe.emails() == []


async def test_an_http_exception_rolls_back(recipe: AsyncRecipe, request_and_check: Send) -> None:
    user_id = (await request_and_check("post", "/users", json={"email": "a@x.org"})).json()["id"]
    response = await request_and_check("patch", f"/users/{user_id}", json={"email": "not an email"})
    assert response.status_code == 422
    assert await recipe.emails() == ["a@x.org"]


async def test_a_missing_user_is_a_404(recipe: AsyncRecipe, request_and_check: Send) -> None:
    assert (await request_and_check("get", "/users/999999")).status_code == 404
    assert (await request_and_check("patch", "/users/999999", json={"email": "a@x.org"})).status_code == 404
    assert (await request_and_check("delete", "/users/999999")).status_code == 404
    assert (await request_and_check("put", "/users/999999/name", json={"name": "Nobody"})).status_code == 404
    assert await recipe.emails() == []


async def test_a_commit_that_fails_on_a_unique_key_is_a_409_not_a_success(
    recipe: AsyncRecipe, request_and_check: Send
) -> None:
    await request_and_check("post", "/users", json={"email": "alice@x.org"})
    bob = (await request_and_check("post", "/users", json={"email": "bob@x.org"})).json()

    response = await request_and_check("patch", f"/users/{bob['id']}", json={"email": "alice@x.org"})

    assert response.status_code == 409  # the endpoint had returned; its commit failed
    assert "unique constraint" in response.json()["detail"]
    assert sorted(await recipe.emails()) == ["alice@x.org", "bob@x.org"]


async def test_a_failing_commit_statement_is_an_error_response(
    recipe: AsyncRecipe, request_and_check: Send
) -> None:
    if recipe.Note is None:
        pytest.skip("MariaDB has no deferred constraints, so no COMMIT that fails on one")
    note = recipe.Note

    async def orphan_note(uow: Any) -> dict[str, str]:
        uow.session.add(note(user_id=12345))  # flushed fine: the foreign key is checked at COMMIT
        return {"status": "saved"}

    add_route(
        recipe.app_module.app, "POST", "/test/orphan-note", orphan_note, uow=recipe.app_module.UnitOfWorkDep
    )
    response = await request_and_check("post", "/test/orphan-note")

    assert response.status_code == 500
    async with recipe.adb.Session() as s:
        assert (await s.scalars(select(note))).all() == []
    assert (await request_and_check("post", "/users", json={"email": "next@x.org"})).status_code == 201


async def test_endpoints_read_update_and_delete(recipe: AsyncRecipe, request_and_check: Send) -> None:
    user = (await request_and_check("post", "/users", json={"email": "a@x.org", "name": "A"})).json()
    assert (await request_and_check("get", f"/users/{user['id']}")).json() == user

    renamed = await request_and_check("patch", f"/users/{user['id']}", json={"email": "b@x.org"})
    assert renamed.json() == {**user, "email": "b@x.org"}
    assert await recipe.emails() == ["b@x.org"]

    assert (await request_and_check("delete", f"/users/{user['id']}")).status_code == 204
    assert await recipe.emails() == []


async def test_a_service_that_opens_the_unit_it_is_handed_joins_the_requests_unit(
    recipe: AsyncRecipe, request_and_check: Send
) -> None:
    user = (await request_and_check("post", "/users", json={"email": "a@x.org", "name": "A"})).json()
    named = await request_and_check("put", f"/users/{user['id']}/name", json={"name": "Ann"})
    assert named.status_code == 200 and named.json()["name"] == "Ann"
    async with recipe.adb.Session() as s:  # committed once, by the request's unit
        assert [(u.email, u.name) for u in await s.all(recipe.models.User)] == [("a@x.org", "Ann")]


async def test_one_unit_per_request_whichever_parameters_ask_for_it(
    recipe: AsyncRecipe, request_and_check: Send
) -> None:
    module = recipe.app_module
    units: list[object] = []

    async def units_of(uow: Any, users: Any) -> bool:
        units.append(uow)
        return users is uow.users

    add_route(module.app, "GET", "/test/units", units_of, uow=module.UnitOfWorkDep, users=module.Users)
    assert (await request_and_check("get", "/test/units")).json() is True
    assert (await request_and_check("get", "/test/units")).json() is True
    assert units[0] is not units[1]


async def test_concurrent_requests_for_one_key_make_one_row(
    recipe: AsyncRecipe, client: httpx2.AsyncClient
) -> None:
    retried: list[int] = []

    async def ensure() -> httpx2.Response:
        for _ in range(50):
            response = await client.put("/users/by-email/same@x.org")
            if response.status_code != 503:
                return response
            retried.append(response.status_code)  # SQLite: the write lock was taken; try again, as asked
            await asyncio.sleep(0.02)
        return response

    responses = await asyncio.gather(*(ensure() for _ in range(12)))

    assert [response.status_code for response in responses] == [200] * 12
    assert len({response.json()["id"] for response in responses}) == 1
    assert await recipe.emails() == ["same@x.org"]
    assert recipe.checked_out() == 0
    if recipe.backend != "sqlite":
        assert retried == [], "race-safe on the servers: no request needs a retry"


async def test_a_cancelled_request_rolls_back_and_returns_its_connection(
    recipe: AsyncRecipe, client: httpx2.AsyncClient
) -> None:
    created = asyncio.Event()

    async def slow(users: Any) -> None:
        await users.create(email="cancelled@x.org")
        created.set()
        await asyncio.sleep(3600)  # a slow payment service, say

    add_route(recipe.app_module.app, "POST", "/test/slow", slow, users=recipe.app_module.Users)
    request = asyncio.create_task(client.post("/test/slow"))
    await created.wait()
    assert recipe.checked_out() == 1

    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request

    assert recipe.checked_out() == 0
    assert await recipe.emails() == []
    assert (await client.post("/users", json={"email": "next@x.org"})).status_code == 201


async def test_a_retryable_error_is_a_503_that_invites_a_retry(
    recipe: AsyncRecipe, request_and_check: Send
) -> None:
    async def stale() -> None:
        raise StaleConflictError("hidden by the snapshot")

    add_route(recipe.app_module.app, "POST", "/test/stale", stale)
    assert (await request_and_check("post", "/test/stale")).status_code == 409  # a ConflictError first

    async def deadlock() -> None:
        raise DeadlockError("deadlock detected")

    add_route(recipe.app_module.app, "POST", "/test/deadlock", deadlock)
    response = await request_and_check("post", "/test/deadlock")
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
