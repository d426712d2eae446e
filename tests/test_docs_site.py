"""The documentation site builds with ``mkdocs build --strict``: every page, link, anchor and API page."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
API_PAGES = {
    "datalayer": "datalayer.UnitOfWork",
    "errors": "datalayer.errors.ConflictError",
    "testing": "datalayer.testing.FakeUnitOfWork",
    "repositories": "repositories.Repository",
}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_mkdocs() -> None:
    needed = ("mkdocs", "material", "mkdocstrings")
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} not installed: pip install -e '.[docs]'"
    if in_ci():
        pytest.fail(f"{message}. CI must build the documentation site, so it must install the docs extra.")
    pytest.skip(message)


def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    require_mkdocs()
    site = tmp_path / "site"
    command = [sys.executable, "-m", "mkdocs", "build", "--strict"]
    result = subprocess.run(
        [*command, "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    assert (site / "index.html").is_file()
    for page, anchor in API_PAGES.items():
        html = (site / "api" / page / "index.html").read_text()
        assert f'id="{anchor}"' in html, f"the API page {page} does not document {anchor}"
