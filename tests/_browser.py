"""The documentation site as a reader sees it: built, served on 127.0.0.1 and rendered by headless Chromium.

Chromium is driven by subprocess, nothing else: ``--dump-dom`` on a copy of a built page with a small
script injected, which measures the rendered layout once the page has loaded and writes its findings
into the DOM as JSON, and ``--screenshot`` for a full-height picture of the page.

Run by hand (``scripts/screenshot-docs.sh`` does this)::

    python -m tests._browser --out build/docs-screenshots

builds the site, writes ``<page>-<width>.png`` and ``<page>-<width>.json`` for each window width, prints
what it found and exits 1 when a table or chart does not fit.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["PAGE", "WIDTHS", "build_site", "chromium", "find_problems", "look_at", "serve"]

ROOT = Path(__file__).resolve().parent.parent
PAGE = "performance-results"
WIDTHS = (1280, 1024)
HEIGHT = 900
MIN_IMAGE_SCALE = 0.85  # a chart drawn smaller than this on screen has illegible labels

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--force-device-scale-factor=1",
)
_REPORT = re.compile(r'<pre id="layout-report">(.*?)</pre>', re.DOTALL)
_MEASURE = """
<script>
(function () {
  function heading(node, article) {
    while (node && node !== article) {
      var sibling = node.previousElementSibling;
      while (sibling && !/^H[1-6]$/.test(sibling.tagName)) { sibling = sibling.previousElementSibling; }
      if (sibling) { return sibling.textContent.replace(/\\s+/g, " ").replace(/\\u00b6/g, "").trim(); }
      node = node.parentElement;
    }
    return "";
  }
  function measure() {
    var article = document.querySelector("article.md-content__inner") || document.body;
    var tables = Array.prototype.map.call(article.querySelectorAll("table"), function (table) {
      var wrap = table.closest(".md-typeset__scrollwrap");
      var box = wrap || table.parentElement;
      var found = {
        heading: heading(wrap || table, article),
        columns: table.querySelectorAll("thead th").length,
        wrapped: wrap !== null,
        scrollWidth: box.scrollWidth,
        clientWidth: box.clientWidth,
        tableWidth: Math.round(table.getBoundingClientRect().width)
      };
      table.style.width = "min-content";  // as narrow as its cells allow: how much room is left
      found.minWidth = Math.ceil(table.getBoundingClientRect().width);
      table.style.width = "";
      return found;
    });
    var images = Array.prototype.map.call(article.querySelectorAll("img"), function (img) {
      return {
        src: img.getAttribute("src"),
        heading: heading(img.closest("p") || img, article),
        complete: img.complete,
        naturalWidth: img.naturalWidth,
        displayedWidth: Math.round(img.getBoundingClientRect().width * 10) / 10
      };
    });
    var root = document.documentElement;
    var report = {
      innerWidth: window.innerWidth,
      contentWidth: article.clientWidth,
      scrollWidth: root.scrollWidth,
      clientWidth: root.clientWidth,
      height: root.scrollHeight,
      tables: tables,
      images: images
    };
    var pre = document.createElement("pre");
    pre.id = "layout-report";
    pre.textContent = JSON.stringify(report);
    document.body.appendChild(pre);
  }
  window.addEventListener("load", function () { setTimeout(measure, 500); });
})();
</script>
"""


def chromium() -> str | None:
    """Debian's Chromium, or whichever ``chromium`` is on the PATH; None when there is none."""
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def build_site(site: Path) -> None:
    """``mkdocs build --strict`` into ``site``; raises with mkdocs' output when it fails."""
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml")]
    done = subprocess.run(
        [*command, "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}")


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves the built site without writing a line per request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        """Drop the request log: a page makes dozens of requests, which would bury the output."""


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, name="docs-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _chromium(browser: str, width: int, height: int, *arguments: str) -> str:
    """Run Chromium once, with a fresh profile; its standard output."""
    with tempfile.TemporaryDirectory(prefix="docs-chromium-") as profile:
        command = [browser, *_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]
        done = subprocess.run(
            [*command, *arguments],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


def _instrumented(site: Path, page: str) -> str:
    """A copy of the built page, beside it, with the measuring script injected; its path in the site."""
    built = (site / page / "index.html").read_text()
    assert "</body>" in built, f"{page}: no </body> to inject the measuring script before"
    (site / page / "layout-check.html").write_text(built.replace("</body>", _MEASURE + "</body>", 1))
    return f"{page}/layout-check.html"


def look_at(
    browser: str, site: Path, base_url: str, width: int, png: Path, page: str = PAGE
) -> dict[str, Any]:
    """Measure the built ``page`` at ``width`` and take a full-height screenshot of it into ``png``."""
    url = base_url + _instrumented(site, page)
    # Virtual time runs the page's load handlers and timers to the end before the DOM is dumped.
    dom = _chromium(browser, width, HEIGHT, "--virtual-time-budget=3000", "--dump-dom", url)
    found = _REPORT.search(dom)
    if found is None:
        raise RuntimeError(f"{page} at {width}px: the measuring script wrote no report:\n{dom[-2000:]}")
    report: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    height = max(HEIGHT, int(report["height"]))
    # The window as tall as the page: the whole page in one picture (taken once the page has loaded;
    # virtual time here made Chromium hang now and then on a page this tall).
    _chromium(browser, width, height, "--hide-scrollbars", f"--screenshot={png}", base_url + f"{page}/")
    if not png.is_file() or not png.read_bytes().startswith(b"\x89PNG"):
        raise RuntimeError(f"{page} at {width}px: chromium wrote no screenshot to {png}")
    report["screenshot"] = str(png)
    return report


def find_problems(report: dict[str, Any], width: int) -> list[str]:
    """Everything a reader at this window width would have to scroll sideways or squint at."""
    problems: list[str] = []
    if report["innerWidth"] != width:
        problems.append(f"the window is {report['innerWidth']}px wide, not {width}px")
    if report["scrollWidth"] > report["clientWidth"]:
        problems.append(f"the page scrolls sideways: {report['scrollWidth']}px in {report['clientWidth']}px")
    if not report["tables"]:
        problems.append("no table on the page")
    for table in report["tables"]:
        where = f"table under {table['heading']!r} ({table['columns']} columns)"
        if not table["wrapped"]:
            problems.append(f"{where}: not in the theme's scroll wrapper")
        if table["scrollWidth"] > table["clientWidth"]:
            overflow = f"{table['scrollWidth']}px wide in {table['clientWidth']}px"
            problems.append(f"{where} overflows: {overflow} (scrolls sideways)")
    if not report["images"]:
        problems.append("no chart on the page")
    for image in report["images"]:
        where = f"image {image['src']} under {image['heading']!r}"
        if not image["complete"] or not image["naturalWidth"]:
            problems.append(f"{where}: did not load")
            continue
        scale = image["displayedWidth"] / image["naturalWidth"]
        if scale < MIN_IMAGE_SCALE:
            problems.append(
                f"{where}: shown at {image['displayedWidth']:.0f}px of its {image['naturalWidth']}px "
                f"({scale:.0%} < {MIN_IMAGE_SCALE:.0%}): its labels are too small to read"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests._browser", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "docs-screenshots")
    parser.add_argument("--width", type=int, action="append", help=f"window width (default {WIDTHS})")
    parser.add_argument("--page", default=PAGE, help="the page, as its folder in the built site")
    args = parser.parse_args(argv)
    browser = chromium()
    if browser is None:
        print("chromium not found (apt-get install chromium)", file=sys.stderr)
        return 2
    site = args.out / "site"
    shutil.rmtree(site, ignore_errors=True)
    build_site(site)
    failed = False
    with serve(site) as base_url:
        for width in args.width or WIDTHS:
            report = look_at(browser, site, base_url, width, args.out / f"{args.page}-{width}.png", args.page)
            (args.out / f"{args.page}-{width}.json").write_text(json.dumps(report, indent=1) + "\n")
            problems = find_problems(report, width)
            failed = failed or bool(problems)
            tightest = max(report["tables"], key=lambda table: table["minWidth"], default=None)
            print(f"{width}px: content column {report['contentWidth']}px, {len(report['tables'])} tables, "
                  f"{len(report['images'])} charts; screenshot {report['screenshot']}")  # fmt: skip
            if tightest:
                print(f"  widest table at its narrowest: {tightest['minWidth']}px ({tightest['heading']})")
            for problem in problems or ["tables fit, charts legible"]:
                print(f"  - {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
