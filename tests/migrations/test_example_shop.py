"""The example application examples/shop: its checked-in revisions build the schema its models describe.

Each test works on a copy of the example, on a fresh database of each backend
(the app reads its URL from ``SHOP_DATABASE_URL``), through the ``datalayer db``
command as a user runs it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from datalayer import Database
from datalayer.migrations import Migrations
from datalayer.testing import assert_migrations_round_trip
from tests.migrations.conftest import Where

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"
ROOT = EXAMPLE.parents[1]


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A copy of the example (without a database file or caches a local run may have left)."""
    copy = tmp_path / "shop"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("*.db", "__pycache__"))
    return copy


def datalayer_db(shop: Path, url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """``datalayer db ARGV`` run in ``shop`` on ``url``."""
    env = {**os.environ, "SHOP_DATABASE_URL": url}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "datalayer", "db", *argv],
        cwd=shop,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_example_has_revisions_for_its_two_models() -> None:
    revisions = sorted((EXAMPLE / "migrations").glob("*.py"))
    assert len(revisions) >= 2
    assert 'app = "app:db"' in (EXAMPLE / "pyproject.toml").read_text()


def test_upgrade_then_check_agree(shop: Path, where: Where) -> None:
    upgraded = datalayer_db(shop, where.url, "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.startswith("upgraded: the database is at ")
    checked = datalayer_db(shop, where.url, "check")
    assert (checked.returncode, checked.stdout) == (0, "the models and the database agree\n"), checked.stderr
    assert {"shop_customers", "shop_orders", "alembic_version"} <= where.tables()


def test_check_fails_when_a_model_gains_a_column(shop: Path, where: Where) -> None:
    assert datalayer_db(shop, where.url, "upgrade").returncode == 0
    app = shop / "app.py"
    app.write_text(
        app.read_text().replace(
            "    quantity: Mapped[int]\n",
            "    quantity: Mapped[int]\n    note: Mapped[str | None] = mapped_column(String(200))\n",
        )
    )
    checked = datalayer_db(shop, where.url, "check")
    assert checked.returncode == 1, checked.stderr
    assert checked.stdout.startswith("the models and the database differ")
    assert "add column shop_orders.note VARCHAR(200)" in checked.stdout


def test_the_example_round_trips(shop: Path, where: Where, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_DATABASE_URL", where.url)
    name = f"shop_app_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, shop / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # SQLAlchemy resolves the models' annotations through it
    try:
        spec.loader.exec_module(module)
        db: Database = module.db
        try:
            assert_migrations_round_trip(Migrations(db, shop / "migrations"))
        finally:
            db.dispose()
    finally:
        del sys.modules[name]
