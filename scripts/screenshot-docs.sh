#!/usr/bin/env bash
# Build the documentation site and look at the performance results page the way a reader does:
# headless Chromium (Debian's `chromium` package) at 1280 and 1024 px wide, a full-page screenshot
# of each, and a check that no table scrolls sideways and no chart is shrunk below 85% of its size.
#
#   scripts/screenshot-docs.sh [OUT]              OUT defaults to build/docs-screenshots
#   WIDTHS="1280 1024 960" scripts/screenshot-docs.sh
#   PYTHON=/path/to/venv/bin/python scripts/screenshot-docs.sh
#
# Writes OUT/site/ (the site, built with mkdocs build --strict), OUT/performance-results-<width>.png
# (the screenshots) and OUT/performance-results-<width>.json (what was measured), prints a summary and
# exits 1 when a table or chart does not fit. Needs the docs extra (pip install -e '.[docs]') and
# chromium (apt-get install chromium). tests/test_docs_browser.py runs the same check.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/docs-screenshots}"
python="${PYTHON:-.venv/bin/python}"
[ -x "$python" ] || python=python3
widths=()
for width in ${WIDTHS:-1280 1024}; do
  widths+=(--width "$width")
done
exec "$python" -m tests._browser --out "$out" "${widths[@]}"
