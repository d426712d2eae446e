"""The performance results page as a reader sees it, in headless Chromium at two ordinary window widths.

The site is built with ``mkdocs build --strict`` and served on 127.0.0.1; Chromium renders the page, and
the layout it computed is read back: no table may scroll sideways in the theme's wrapper, and no chart may
be scaled down below a legible size. A full-height screenshot of each width stays in pytest's temporary
directory; every failure message gives its path. ``scripts/screenshot-docs.sh`` does the same by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._browser import MIN_IMAGE_SCALE, PAGE, WIDTHS, build_site, chromium, find_problems, look_at, serve
from tests.test_docs_site import ROOT, require_mkdocs

DATABASES = [  # the headings of the page's database sections: "sqlite 3.40.1", ...
    "{database} {server_version}".format(**json.loads(path.read_text()))
    for path in (ROOT / "benchmarks" / "results").glob("*.json")
]


@pytest.fixture(scope="module")
def browser() -> str:
    found = chromium()
    if found is None:
        pytest.skip("chromium not found at /usr/bin/chromium or on the PATH: apt-get install chromium")
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_mkdocs()
    built = tmp_path_factory.mktemp("docs") / "site"
    build_site(built)
    return built


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    with serve(site) as url:
        yield url


@pytest.mark.parametrize("width", WIDTHS)
def test_tables_fit_and_charts_are_legible(
    browser: str, site: Path, base_url: str, width: int, tmp_path: Path
) -> None:
    png = tmp_path / f"{PAGE}-{width}.png"
    report = look_at(browser, site, base_url, width, png)
    problems = find_problems(report, width)
    assert not problems, f"{PAGE} at {width}x900 (screenshot: {png}):\n" + "\n".join(problems)
    charts = {image["heading"]: image for image in report["images"] if "/img/benchmarks-" in image["src"]}
    assert sorted(charts) == sorted(DATABASES), f"a chart under each database's heading (screenshot: {png})"
    for heading, image in charts.items():
        assert image["src"].endswith(f"/img/benchmarks-{heading.split()[0]}.png"), image
        assert image["displayedWidth"] / image["naturalWidth"] >= MIN_IMAGE_SCALE, image
