"""The release metadata agrees with itself: one distribution name everywhere, a changelog entry for the
version, the licence, classifiers and URLs a package index shows. ``scripts/release-check.sh`` builds and
installs the distributions themselves (CI runs it)."""

from __future__ import annotations

import configparser
import re
from importlib import metadata
from pathlib import Path

import pytest

from datalayer import _distribution

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").rglob("*.md")])
# `pip install X`, `pip install "X[extra]"`, `pip install 'X[a,b]'`: the requirement after install.
PIP_INSTALL = re.compile(r"""pip install (?:-q )?(?P<requirement>["']?[^\s"']+["']?)""")


@pytest.fixture(scope="module")
def setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config


def install_requirements() -> dict[str, str]:
    """What each `pip install` line of the docs installs, by page and line; editable installs left out."""
    found: dict[str, str] = {}
    for page in PAGES:
        for number, line in enumerate(page.read_text().splitlines(), start=1):
            for match in PIP_INSTALL.finditer(line):
                requirement = match["requirement"].strip("\"'")
                if requirement != "-e":  # `pip install -e .`: the checkout itself
                    found[f"{page.relative_to(ROOT)}:{number}:{match.start()}"] = requirement
    return found


def test_the_code_names_the_distribution_that_setup_cfg_declares(
    setup_cfg: configparser.ConfigParser,
) -> None:
    assert setup_cfg["metadata"]["name"] == _distribution.NAME
    assert metadata.version(_distribution.NAME) == setup_cfg["metadata"]["version"], (
        "the installed metadata is stale: pip install -e ."
    )


def test_the_docs_have_install_lines_to_check() -> None:
    wanted = {"datalayer-sqla", "datalayer-sqla[postgresql]", "datalayer-sqla[mariadb]"}
    assert wanted <= set(install_requirements().values())


@pytest.mark.parametrize(("where", "requirement"), install_requirements().items())
def test_every_install_line_names_our_distribution_and_an_extra_it_declares(
    where: str, requirement: str, setup_cfg: configparser.ConfigParser
) -> None:
    named, _, rest = requirement.partition("[")
    assert named == setup_cfg["metadata"]["name"], f"{where}: `{requirement}` is another project"
    wanted = set(re.findall(r"[\w-]+", rest))
    extras = set(setup_cfg["options.extras_require"])
    assert wanted <= extras, f"{where}: no extra {sorted(wanted - extras)} in setup.cfg"


def test_the_install_line_check_catches_another_projects_name() -> None:
    line = 'pip install "datalayer[postgresql]"   # psycopg 3'
    (match,) = PIP_INSTALL.finditer(line)
    assert match["requirement"].strip("\"'").partition("[")[0] == "datalayer" != _distribution.NAME


def test_the_changelog_top_entry_is_the_version_setup_cfg_declares(
    setup_cfg: configparser.ConfigParser,
) -> None:
    entries = re.findall(r"^## (\S+)", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert entries, "CHANGELOG.md has no `## <version>` entry"
    assert entries[0] == setup_cfg["metadata"]["version"]


def test_the_licence_is_declared_and_shipped(setup_cfg: configparser.ConfigParser) -> None:
    meta = setup_cfg["metadata"]
    assert meta["license"] == "MIT"
    assert meta["license_files"].split() == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "LICENSE" in (ROOT / "MANIFEST.in").read_text()


def test_the_python_classifiers_match_python_requires(setup_cfg: configparser.ConfigParser) -> None:
    assert setup_cfg["options"]["python_requires"] == ">=3.11"
    classifiers = setup_cfg["metadata"]["classifiers"].split("\n")
    python = re.compile(r"Programming Language :: Python :: (3\.\d+)")
    versions = [found[1] for c in classifiers if (found := python.fullmatch(c))]
    assert versions and all(tuple(map(int, v.split("."))) >= (3, 11) for v in versions)
    assert "Typing :: Typed" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")], "the licence is the `license` field"


def test_the_project_urls_name_docs_source_changelog_and_issues(setup_cfg: configparser.ConfigParser) -> None:
    urls = dict(
        (part.strip() for part in line.split("=", 1))
        for line in setup_cfg["metadata"]["project_urls"].strip().splitlines()
    )
    assert set(urls) == {"Documentation", "Source", "Changelog", "Issues"}
    assert all(url.startswith("https://") for url in urls.values())
    assert urls["Changelog"].endswith("/CHANGELOG.md")


@pytest.mark.parametrize("package", ["datalayer", "repositories"])
def test_both_packages_are_marked_typed(package: str, setup_cfg: configparser.ConfigParser) -> None:
    assert (ROOT / package / "py.typed").is_file()
    assert "py.typed" in setup_cfg["options.package_data"][package]
