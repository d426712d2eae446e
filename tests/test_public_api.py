"""Each package's ``__all__`` is sorted, importable and complete."""

from __future__ import annotations

import inspect
import types

import pytest

import datalayer
import datalayer.asyncio
import datalayer.errors
import datalayer.migrations
import datalayer.testing
import repositories

MODULES = [
    datalayer,
    datalayer.asyncio,
    datalayer.errors,
    datalayer.migrations,
    datalayer.testing,
    repositories,
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_all_is_sorted_and_every_name_is_importable(module: types.ModuleType) -> None:
    assert module.__all__ == sorted(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), name


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_all_lists_every_public_class_and_function_defined_in_the_package(module: types.ModuleType) -> None:
    package = module.__name__.split(".")[0]
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and isinstance(value, type | types.FunctionType)
        and value.__module__.split(".")[0] == package
    }
    assert public <= set(module.__all__)


def test_the_pinned_names_are_there() -> None:
    assert {"Database", "RepositoryContract", "Session", "UnitOfWork", "view"} <= set(datalayer.__all__)
    assert repositories.__all__ == ["AsyncRepository", "Repository"]
    assert {"AsyncDatabase", "AsyncUnitOfWork"} <= set(datalayer.asyncio.__all__)
    assert datalayer.migrations.__all__ == ["Alembic", "Migrations"]
    assert "MigrationError" in datalayer.errors.__all__
    assert "assert_migrations_round_trip" in datalayer.testing.__all__
    assert "TestTransaction" in datalayer.testing.__all__ and callable(datalayer.Database.test_transaction)
    for method in ("revision", "upgrade", "downgrade", "current", "head", "history", "stamp", "check"):
        assert callable(getattr(datalayer.migrations.Migrations, method))
    for method in (
        "revision", "upgrade", "downgrade", "stamp", "get_history", "history", "get_current",
        "current", "get_head", "head", "init", "create_all", "rev_id",
        "get_click_cli", "get_flask_cli", "get_proper_cli",
    ):  # fmt: skip
        assert callable(getattr(datalayer.migrations.Alembic, method))  # sqla-wrapper's
    for method in (
        "all", "create", "first", "first_or_create", "create_or_first", "get", "upsert", "upsert_many",
    ):  # fmt: skip
        assert callable(getattr(datalayer.Session, method))
    for method in (
        "all", "create", "first", "first_or_create", "create_or_first", "get",
        "add", "delete", "count", "exists", "select", "scalars", "upsert", "upsert_many",
    ):  # fmt: skip
        assert callable(getattr(repositories.Repository, method))


@pytest.mark.parametrize("cls", [repositories.Repository, datalayer.testing.FakeRepository])
def test_both_repositories_have_every_method_of_the_contract(cls: type[object]) -> None:
    members = {name for name in vars(datalayer.RepositoryContract) if not name.startswith("_")}
    assert members >= {"create_many", "model", "page", "stream", "upsert", "upsert_many"}
    for name in members - {"model"}:
        assert callable(getattr(cls, name)), name


@pytest.mark.parametrize("cls", [repositories.AsyncRepository, datalayer.testing.FakeAsyncRepository])
def test_both_async_repositories_have_every_method_of_the_async_contract(cls: type[object]) -> None:
    members = {name for name in vars(datalayer.AsyncRepositoryContract) if not name.startswith("_")}
    assert members == {name for name in vars(datalayer.RepositoryContract) if not name.startswith("_")}
    for name in members - {"model", "stream"}:
        assert inspect.iscoroutinefunction(getattr(cls, name)), name


def test_the_async_repository_has_every_method_of_the_repository_awaitable() -> None:
    sync = {name for name in vars(repositories.Repository) if not name.startswith("_")}
    assert sync <= set(vars(repositories.AsyncRepository)), sync - set(vars(repositories.AsyncRepository))
    for name in sync - {"select", "stream"}:
        assert inspect.iscoroutinefunction(getattr(repositories.AsyncRepository, name)), name
    assert not inspect.iscoroutinefunction(repositories.AsyncRepository.stream)  # an async iterator


def test_the_async_session_has_every_helper_of_the_session_awaitable() -> None:
    helpers = {name for name in vars(datalayer.Session) if not name.startswith("_")}
    for name in helpers:
        assert inspect.iscoroutinefunction(getattr(datalayer.asyncio.AsyncSession, name)), name


@pytest.mark.parametrize("first", ["repositories", "datalayer", "datalayer.testing", "datalayer.asyncio"])
def test_every_package_imports_first_in_a_fresh_interpreter(first: str) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", f"import {first}; import datalayer, repositories"], check=False
    )
    assert done.returncode == 0


def test_the_async_testing_tools_are_exported() -> None:
    assert {
        "FakeAsyncRepository", "FakeAsyncUnitOfWork", "async_clean_tables", "async_isolated",
    } <= set(datalayer.testing.__all__)  # fmt: skip


def test_importing_datalayer_leaves_the_test_toolkit_unimported() -> None:
    """db.test_transaction() imports datalayer.testing when called, never at `import datalayer`."""
    import subprocess
    import sys

    code = (
        "import sys, datalayer\n"
        "assert 'datalayer.testing' not in sys.modules and 'factory' not in sys.modules\n"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_the_testing_tools_and_the_plugin_import_without_greenlet() -> None:
    """A sync project installs neither greenlet nor pytest-asyncio: nothing of asyncio's is imported."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['greenlet'] = None\n"
        "import datalayer.testing, datalayer.testing.plugin\n"
        "assert 'datalayer.asyncio' not in sys.modules and 'sqlalchemy.ext.asyncio' not in sys.modules\n"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
