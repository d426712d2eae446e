"""The FastAPI recipe of docs/recipes.md, run as written, with FastAPI's TestClient on each real database.

The page's ``models.py`` and ``fastapi_app.py`` blocks are executed as the modules ``models`` and
``fastapi_app``, with ``DATABASE_URL`` pointing at a database of this module's own (a SQLite file, or a
fresh database on each server whose URL is set); the tables are dropped after each test. Requests commit
for real.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from datalayer import Database
from datalayer.errors import StaleConflictError
from tests._recipes import Recipe, open_recipe, recipe_database

database = recipe_database


@pytest.fixture
def recipe(database: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Recipe]:
    with open_recipe(database, "fastapi_app.py", monkeypatch) as opened:
        yield opened


@pytest.fixture
def client(recipe: Recipe) -> Iterator[TestClient]:
    with TestClient(recipe.app_module.app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def request_and_check(recipe: Recipe, client: TestClient) -> Callable[..., Any]:
    """Send a request; then no connection of the recipe's engine may still be checked out."""

    def send(method: str, url: str, **kwargs: Any) -> Any:
        response = client.request(method, url, **kwargs)
        assert recipe.checked_out() == 0, f"{method} {url} left a connection checked out"
        return response

    return send


def add_route(app: Any, method: str, path: str, endpoint: Callable[..., Any], **annotations: Any) -> None:
    """Route a test-only endpoint whose parameters are typed with the recipe's dependencies."""
    endpoint.__annotations__.update(annotations)  # real objects: this module's annotations are strings
    app.add_api_route(path, endpoint, methods=[method])


class AtResponseStart:
    """ASGI middleware that runs ``check()`` when the response starts, before anything is sent."""

    def __init__(self, app: Any, check: Callable[[], object]) -> None:
        self.app = app
        self.check = check
        self.seen: list[object] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def checking_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.seen.append(self.check())
            await send(message)

        await self.app(scope, receive, checking_send)


def test_a_successful_request_commits_before_its_response_starts(recipe: Recipe) -> None:
    def committed_and_closed() -> tuple[bool, int]:
        checked_out = recipe.checked_out()  # before this check opens a connection of its own
        return "alice@x.org" in recipe.emails(), checked_out

    probe = AtResponseStart(recipe.app_module.app, committed_and_closed)
    with TestClient(probe) as client:
        response = client.post("/users", json={"email": "alice@x.org", "name": "Alice"})
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], "email": "alice@x.org", "name": "Alice"}
    assert probe.seen == [(True, 0)]


def test_a_request_whose_endpoint_raises_rolls_back(recipe: Recipe, request_and_check: Any) -> None:
    response = request_and_check("post", "/users/batch", json={"emails": ["a@x.org", "b@x.org", "a@x.org"]})
    assert response.status_code == 409
    assert "unique constraint" in response.json()["detail"]
    assert recipe.emails() == []

    response = request_and_check("post", "/users/batch", json={"emails": ["a@x.org", "b@x.org"]})
    assert response.status_code == 201
    assert recipe.emails() == ["a@x.org", "b@x.org"]


def test_an_unexpected_error_is_a_500_and_rolls_back(recipe: Recipe, request_and_check: Any) -> None:
    def boom(users: Any) -> None:
        users.create(email="boom@x.org")
        raise RuntimeError("boom")

    add_route(recipe.app_module.app, "POST", "/test/boom", boom, users=recipe.app_module.Users)
    response = request_and_check("post", "/test/boom")
    assert response.status_code == 500
    assert recipe.emails() == []


def test_an_http_exception_rolls_back(recipe: Recipe, request_and_check: Any) -> None:
    user_id = request_and_check("post", "/users", json={"email": "a@x.org"}).json()["id"]
    response = request_and_check("patch", f"/users/{user_id}", json={"email": "not an email"})
    assert response.status_code == 422
    assert recipe.emails() == ["a@x.org"]


def test_a_commit_that_fails_on_a_unique_key_is_a_409_not_a_success(
    recipe: Recipe, request_and_check: Any
) -> None:
    request_and_check("post", "/users", json={"email": "alice@x.org"})
    bob = request_and_check("post", "/users", json={"email": "bob@x.org"}).json()

    response = request_and_check("patch", f"/users/{bob['id']}", json={"email": "alice@x.org"})

    assert response.status_code == 409  # the endpoint had returned; its commit failed
    assert "unique constraint" in response.json()["detail"]
    assert sorted(recipe.emails()) == ["alice@x.org", "bob@x.org"]


def test_a_failing_commit_statement_is_an_error_response(recipe: Recipe, request_and_check: Any) -> None:
    if recipe.backend == "mariadb":
        pytest.skip("MariaDB has no deferred constraints, so no COMMIT that fails on one")
    note = recipe.Note

    def orphan_note(uow: Any) -> dict[str, str]:
        uow.session.add(note(user_id=12345))  # flushed fine: the foreign key is checked at COMMIT
        return {"status": "saved"}

    add_route(
        recipe.app_module.app, "POST", "/test/orphan-note", orphan_note, uow=recipe.app_module.UnitOfWorkDep
    )
    try:
        response = request_and_check("post", "/test/orphan-note")

        assert response.status_code == 500
        with recipe.db.Session() as dbs:
            assert dbs.scalars(select(note)).all() == []
        assert request_and_check("post", "/users", json={"email": "next@x.org"}).status_code == 201
    finally:
        recipe.db.engine.dispose()  # no pooled connection left in a failed transaction for the teardown


def test_endpoints_read_update_and_delete(recipe: Recipe, request_and_check: Any) -> None:
    user = request_and_check("post", "/users", json={"email": "a@x.org", "name": "A"}).json()
    assert request_and_check("get", f"/users/{user['id']}").json() == user
    assert request_and_check("get", "/users/999999").status_code == 404

    renamed = request_and_check("patch", f"/users/{user['id']}", json={"email": "b@x.org"})
    assert renamed.json() == {**user, "email": "b@x.org"}
    assert recipe.emails() == ["b@x.org"]

    assert request_and_check("delete", f"/users/{user['id']}").status_code == 204
    assert recipe.emails() == []
    assert request_and_check("delete", f"/users/{user['id']}").status_code == 404


def test_one_unit_per_request_whichever_parameters_ask_for_it(recipe: Recipe, request_and_check: Any) -> None:
    module = recipe.app_module
    units: list[object] = []

    def units_of(uow: Any, users: Any) -> bool:
        units.append(uow)
        return users is uow.users

    add_route(module.app, "GET", "/test/units", units_of, uow=module.UnitOfWorkDep, users=module.Users)
    assert request_and_check("get", "/test/units").json() is True
    assert request_and_check("get", "/test/units").json() is True
    assert units[0] is not units[1]


def test_a_service_that_opens_the_unit_it_is_handed_joins_the_requests_unit(
    recipe: Recipe, request_and_check: Any
) -> None:
    user = request_and_check("post", "/users", json={"email": "a@x.org", "name": "A"}).json()
    named = request_and_check("put", f"/users/{user['id']}/name", json={"name": "Ann"})
    assert named.status_code == 200 and named.json()["name"] == "Ann"
    with recipe.db.Session() as dbs:  # committed once, by the request's unit
        assert [(u.email, u.name) for u in dbs.all(recipe.models.User)] == [("a@x.org", "Ann")]
    assert request_and_check("put", "/users/999999/name", json={"name": "Nobody"}).status_code == 404


@pytest.fixture
def datalayer_database(recipe: Recipe) -> Database:
    """The pytest plugin's fixtures, on the recipe's Database."""
    return recipe.db


@pytest.fixture
def committed_nothing(recipe: Recipe) -> Iterator[None]:
    yield
    assert recipe.emails() == [], "the test transaction was not rolled back"


def test_the_recipe_runs_unchanged_inside_the_plugins_test_transaction(
    recipe: Recipe, committed_nothing: None, datalayer_db: Database, client: TestClient
) -> None:
    user = client.post("/users", json={"email": "a@x.org"}).json()
    assert client.patch(f"/users/{user['id']}", json={"email": "b@x.org"}).status_code == 200
    with datalayer_db.Session() as dbs:  # the requests' commits are visible inside the test...
        assert [user.email for user in dbs.all(recipe.models.User)] == ["b@x.org"]
    # ...and rolled back after it (committed_nothing)


def test_a_stale_conflict_is_a_409_as_the_page_says(recipe: Recipe, request_and_check: Any) -> None:
    def stale() -> None:
        raise StaleConflictError("hidden by the snapshot")

    add_route(recipe.app_module.app, "POST", "/test/stale", stale)
    assert request_and_check("post", "/test/stale").status_code == 409
