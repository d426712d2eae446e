"""Check a built sdist and wheel: the files a user and a packager need are in them, and nothing else.

Usage: ``python scripts/check_dist.py DIST_DIR`` (run by ``scripts/release-check.sh``).
Exits 1 and names every problem found.
"""

from __future__ import annotations

import configparser
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("datalayer", "repositories")
_SDIST_FILES = ("LICENSE", "CHANGELOG.md", "README.md", "setup.cfg", "pyproject.toml", "datalayer/py.typed")
# Alembic's script location, shipped inside the package: Migrations cannot run without it.
_MIGRATIONS_ENVIRONMENT = (
    "datalayer/migrations/environment/__init__.py",
    "datalayer/migrations/environment/env.py",
    "datalayer/migrations/environment/script.py.mako",
)


def declared() -> tuple[str, str]:
    """The distribution name and version that setup.cfg declares."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config["metadata"]["name"], config["metadata"]["version"]


def check_wheel(path: Path, name: str, version: str) -> list[str]:
    problems: list[str] = []
    with zipfile.ZipFile(path) as wheel:
        files = set(wheel.namelist())
        dist_info = f"{name.replace('-', '_')}-{version}.dist-info"
        metadata = Parser().parsestr(wheel.read(f"{dist_info}/METADATA").decode())
        entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
    if (metadata["Name"], metadata["Version"]) != (name, version):
        said = f"{metadata['Name']} {metadata['Version']}"
        problems.append(f"the wheel's metadata says {said}, setup.cfg {name} {version}")
    for package in PACKAGES:
        if f"{package}/py.typed" not in files:
            problems.append(f"{package}/py.typed is missing from the wheel")
    for needed in _MIGRATIONS_ENVIRONMENT:
        if needed not in files:
            problems.append(f"{needed} is missing from the wheel")
    if "Provides-Extra: migrations" not in str(metadata) or not any(
        requirement.startswith("alembic") and 'extra == "migrations"' in requirement
        for requirement in metadata.get_all("Requires-Dist") or []
    ):
        problems.append("the wheel's metadata has no migrations extra requiring alembic")
    if not any(f.startswith(f"{dist_info}/licenses/LICENSE") or f == f"{dist_info}/LICENSE" for f in files):
        problems.append("the LICENSE file is missing from the wheel's dist-info")
    top = {f.split("/")[0] for f in files if not f.startswith(dist_info)}
    if top != set(PACKAGES):
        problems.append(f"the wheel's top-level names are {sorted(top)}, expected {list(PACKAGES)}")
    for needed in ("datalayer = datalayer.cli:main", "datalayer = datalayer.testing.plugin"):
        if needed not in entry_points:
            problems.append(f"entry point {needed!r} is missing from the wheel")
    for field in ("License", "Requires-Python", "Project-URL", "Classifier"):
        if not metadata.get_all(field) and not (field == "License" and metadata.get("License-Expression")):
            problems.append(f"the wheel's metadata has no {field}")
    if "text/markdown" not in (metadata["Description-Content-Type"] or ""):
        problems.append("the long description is not declared as Markdown")
    return problems


def check_sdist(path: Path, name: str, version: str) -> list[str]:
    prefix = f"{name.replace('-', '_')}-{version}"
    with tarfile.open(path) as sdist:
        files = set(sdist.getnames())
    return [
        f"{needed} is missing from the sdist"
        for needed in (*_SDIST_FILES, *_MIGRATIONS_ENVIRONMENT)
        if f"{prefix}/{needed}" not in files
    ]


def main(dist: Path) -> int:
    name, version = declared()
    normalized = name.replace("-", "_")
    wheels = sorted(dist.glob(f"{normalized}-{version}-*.whl"))
    sdists = sorted(dist.glob(f"{normalized}-{version}.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        print(f"expected one wheel and one sdist of {name} {version} in {dist}, found {wheels + sdists}")
        return 1
    problems = check_wheel(wheels[0], name, version) + check_sdist(sdists[0], name, version)
    for problem in problems:
        print(f"check_dist: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_dist: {wheels[0].name} and {sdists[0].name} hold what a release needs")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
