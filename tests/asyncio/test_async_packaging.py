"""Sync users do not pay for asyncio: datalayer and repositories import without greenlet."""

from __future__ import annotations

import subprocess
import sys

import pytest

BLOCK_GREENLET = "import sys; sys.modules['greenlet'] = None  # as if it were not installed\n"


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_GREENLET + code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_datalayer_and_repositories_import_and_work_without_greenlet() -> None:
    done = run_python(
        "import datalayer, repositories\n"
        "from datalayer import Database, UnitOfWork\n"
        "db = Database('sqlite://')\n"
        "with UnitOfWork(db) as uow: pass\n"
        "print(repositories.Repository.__name__)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["Repository"]


@pytest.mark.parametrize(
    "statement", ["from datalayer.asyncio import AsyncDatabase", "from repositories import AsyncRepository"]
)
def test_asyncio_without_greenlet_names_the_extra_to_install(statement: str) -> None:
    done = run_python(f"try:\n    {statement}\nexcept ImportError as error:\n    print(error)\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        'datalayer.asyncio needs the greenlet package: pip install "datalayer-sqla[asyncio]"'
    )
