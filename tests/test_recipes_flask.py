"""The Flask recipe of docs/recipes.md, run as written, with Flask's test client on each real database.

The page's ``models.py`` and ``flask_app.py`` blocks are executed as the modules ``models`` and
``flask_app``, with ``DATABASE_URL`` pointing at a database of this module's own (a SQLite file, or a
fresh database on each server whose URL is set); the tables are dropped after each test. Requests commit
for real.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from datalayer import Database
from tests._recipes import Recipe, open_recipe, recipe_database

database = recipe_database


@pytest.fixture
def recipe(database: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Recipe]:
    with open_recipe(database, "flask_app.py", monkeypatch) as opened:
        yield opened


@pytest.fixture
def client(recipe: Recipe) -> FlaskClient:
    return recipe.app_module.app.test_client()  # type: ignore[no-any-return]


@pytest.fixture
def request_and_check(recipe: Recipe, client: FlaskClient) -> Callable[..., Any]:
    """Send a request; then neither a scoped session nor a checked-out connection may be left."""

    def send(method: str, url: str, **kwargs: Any) -> Any:
        response = client.open(url, method=method.upper(), **kwargs)
        assert not recipe.db.s.registry.has(), f"{method} {url} left its scoped session behind"
        assert recipe.checked_out() == 0, f"{method} {url} left a connection checked out"
        return response

    return send


class AtResponseStart:
    """WSGI middleware that runs ``check()`` when the response starts, before its body is sent."""

    def __init__(self, app: Callable[..., Iterable[bytes]], check: Callable[[], object]) -> None:
        self.app = app
        self.check = check
        self.seen: list[object] = []

    def __call__(self, environ: Any, start_response: Callable[..., Any]) -> Iterable[bytes]:
        def checking_start_response(*args: Any) -> Any:
            self.seen.append(self.check())
            return start_response(*args)

        return self.app(environ, checking_start_response)


def add_view(recipe: Recipe, rule: str, view: Callable[..., Any], *, unit_of_work: bool) -> None:
    """Route a test-only view, wrapped in the recipe's unit of work when asked."""
    wrapped = recipe.app_module.with_unit_of_work(view) if unit_of_work else view
    recipe.app_module.app.add_url_rule(rule, view.__name__, wrapped, methods=["POST"])


@pytest.mark.parametrize("url", ["/scoped/users", "/users"])
def test_a_successful_request_commits_before_its_response_starts(
    recipe: Recipe, request_and_check: Any, url: str
) -> None:
    def committed_and_released() -> tuple[bool, int]:
        checked_out = recipe.checked_out()  # before this check opens a connection of its own
        return "alice@x.org" in recipe.emails(), checked_out

    probe = AtResponseStart(recipe.app_module.app.wsgi_app, committed_and_released)
    recipe.app_module.app.wsgi_app = probe
    response = request_and_check("post", url, json={"email": "alice@x.org", "name": "Alice"})
    assert response.status_code == 201
    assert response.get_json() == {"id": response.get_json()["id"], "email": "alice@x.org", "name": "Alice"}
    assert probe.seen == [(True, 0)]


@pytest.mark.parametrize("url", ["/scoped/users/batch", "/users/batch"])
def test_a_failed_request_rolls_back(recipe: Recipe, request_and_check: Any, url: str) -> None:
    response = request_and_check("post", url, json={"emails": ["a@x.org", "b@x.org", "a@x.org"]})
    assert response.status_code == 409
    assert "unique constraint" in response.get_json()["error"]
    assert recipe.emails() == []

    response = request_and_check("post", url, json={"emails": ["a@x.org", "b@x.org"]})
    assert response.status_code == 201
    assert recipe.emails() == ["a@x.org", "b@x.org"]


@pytest.mark.parametrize("unit_of_work", [False, True], ids=["scoped", "unit_of_work"])
def test_an_unexpected_error_is_a_500_and_rolls_back(
    recipe: Recipe, request_and_check: Any, unit_of_work: bool
) -> None:
    db, user = recipe.db, recipe.models.User

    def boom(uow: Any = None) -> None:
        if uow is None:
            db.s.create(user, email="boom@x.org")
        else:
            uow.users.create(email="boom@x.org")
        raise RuntimeError("boom")

    add_view(recipe, "/test/boom", boom, unit_of_work=unit_of_work)
    response = request_and_check("post", "/test/boom")
    assert response.status_code == 500
    assert recipe.emails() == []


def test_abort_rolls_back(recipe: Recipe, request_and_check: Any) -> None:
    user_id = request_and_check("post", "/users", json={"email": "a@x.org"}).get_json()["id"]
    response = request_and_check("patch", f"/users/{user_id}", json={"email": "not an email"})
    assert response.status_code == 400
    assert recipe.emails() == ["a@x.org"]


def test_a_commit_that_fails_on_a_unique_key_is_a_409_not_a_success(
    recipe: Recipe, request_and_check: Any
) -> None:
    request_and_check("post", "/users", json={"email": "alice@x.org"})
    bob = request_and_check("post", "/users", json={"email": "bob@x.org"}).get_json()

    response = request_and_check("patch", f"/users/{bob['id']}", json={"email": "alice@x.org"})

    assert response.status_code == 409  # the view had returned; its unit's commit failed
    assert "unique constraint" in response.get_json()["error"]
    assert sorted(recipe.emails()) == ["alice@x.org", "bob@x.org"]


@pytest.mark.parametrize("unit_of_work", [False, True], ids=["scoped", "unit_of_work"])
def test_a_failing_commit_statement_is_an_error_response(
    recipe: Recipe, request_and_check: Any, unit_of_work: bool
) -> None:
    if recipe.backend == "mariadb":
        pytest.skip("MariaDB has no deferred constraints, so no COMMIT that fails on one")
    db, note = recipe.db, recipe.Note

    def orphan_note(uow: Any = None) -> dict[str, str]:
        if uow is None:
            db.s.add(note(user_id=12345))
            db.s.commit()  # the foreign key is checked here
        else:
            uow.session.add(note(user_id=12345))  # checked when the unit commits
        return {"status": "saved"}

    add_view(recipe, "/test/orphan-note", orphan_note, unit_of_work=unit_of_work)
    try:
        response = request_and_check("post", "/test/orphan-note")

        assert response.status_code == 500
        with recipe.db.Session() as dbs:
            assert dbs.scalars(select(note)).all() == []
        assert request_and_check("post", "/users", json={"email": "next@x.org"}).status_code == 201
    finally:
        recipe.db.engine.dispose()  # no pooled connection left in a failed transaction for the teardown


def test_views_read_and_update(recipe: Recipe, request_and_check: Any) -> None:
    user = request_and_check("post", "/users", json={"email": "a@x.org", "name": "A"}).get_json()
    assert request_and_check("get", f"/users/{user['id']}").get_json() == user
    assert request_and_check("get", "/users/999999").status_code == 404

    renamed = request_and_check("patch", f"/users/{user['id']}", json={"email": "b@x.org"})
    assert renamed.get_json() == {**user, "email": "b@x.org"}
    assert recipe.emails() == ["b@x.org"]


def test_a_service_that_opens_the_unit_it_is_handed_joins_the_requests_unit(
    recipe: Recipe, request_and_check: Any
) -> None:
    user = request_and_check("post", "/users", json={"email": "a@x.org", "name": "A"}).get_json()
    named = request_and_check("put", f"/users/{user['id']}/name", json={"name": "Ann"})
    assert named.status_code == 200 and named.get_json()["name"] == "Ann"
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
    recipe: Recipe, committed_nothing: None, datalayer_db: Database, client: FlaskClient
) -> None:
    assert client.post("/scoped/users", json={"email": "a@x.org"}).status_code == 201
    user = client.post("/users", json={"email": "b@x.org"}).get_json()
    assert client.patch(f"/users/{user['id']}", json={"email": "c@x.org"}).status_code == 200
    with datalayer_db.Session() as dbs:  # the requests' commits are visible inside the test...
        assert [user.email for user in dbs.all(recipe.models.User)] == ["a@x.org", "c@x.org"]
    # ...and rolled back after it (committed_nothing)
