#!/usr/bin/env bash
# What a maintainer runs before cutting a release, and CI runs on every change:
#   1. build the sdist, and the wheel from that sdist (python -m build);
#   2. twine check --strict, and scripts/check_dist.py (py.typed, LICENSE, entry points, metadata);
#   3. install the wheel alone into a fresh virtual environment, outside the checkout, and run
#      `datalayer --version` and `datalayer demo` from it; a missing driver names the extra to install;
#      Without the asyncio extra, greenlet is not installed and the packages still import;
#   4. install the wheel with its asyncio and server extras, run an async unit of work on
#      aiosqlite, and the demo on each server whose DATALAYER_TEST_POSTGRESQL_URL /
#      DATALAYER_TEST_MARIADB_URL is set.
# Usage: scripts/release-check.sh [DIST_DIR]   (default: a temporary directory, removed at the end)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d -t datalayer-release-XXXXXX)"
trap 'rm -rf "$work"' EXIT
dist="${1:-$work/dist}"
name="$(cd "$root" && "$python" -c 'import configparser as c; p = c.ConfigParser(); p.read("setup.cfg"); print(p["metadata"]["name"])')"
version="$(cd "$root" && "$python" -c 'import configparser as c; p = c.ConfigParser(); p.read("setup.cfg"); print(p["metadata"]["version"])')"
step() { printf '\n== %s\n' "$*"; }

step "build $name $version into $dist"
"$python" -m venv "$work/tools"
"$work/tools/bin/pip" install -q build twine
rm -rf "$dist" "$root/build"
"$work/tools/bin/python" -m build --outdir "$dist" "$root"

step "check the distributions"
"$work/tools/bin/twine" check --strict "$dist"/*
"$python" "$root/scripts/check_dist.py" "$dist"

step "install the wheel into a fresh virtual environment and run it outside the checkout"
wheel="$(ls "$dist"/*.whl)"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel"
cd "$work"
found="$("$work/venv/bin/python" -c 'import datalayer, repositories; print(datalayer.__file__, repositories.__file__)')"
case "$found" in
  "$work/venv/"*" $work/venv/"*) echo "imported from the fresh environment: $found" ;;
  *) echo "imported from outside the fresh environment: $found" >&2; exit 1 ;;
esac
test "$("$work/venv/bin/datalayer" --version)" = "$name $version"
"$work/venv/bin/datalayer" demo | tee "$work/demo.log"
test "$(tail -n 1 "$work/demo.log")" = "done"
# psycopg is not installed without the extra: the demo names the command that installs it.
if "$work/venv/bin/datalayer" demo --url "postgresql+psycopg://localhost/none" 2>"$work/hint.log"; then
  echo "the demo ran without its driver" >&2; exit 1
fi
grep -F "pip install \"$name[postgresql]\"" "$work/hint.log"

# Sync users do not pay for asyncio: no greenlet, and the packages import without it.
"$work/venv/bin/python" -c 'import importlib.util as u, datalayer, repositories; assert u.find_spec("greenlet") is None'

step "install the wheel with its asyncio and server extras; run an async unit, and the demo on each server"
"$work/venv/bin/pip" install -q "$wheel[asyncio,postgresql,mariadb]"
"$work/venv/bin/python" - <<'PYTHON'
import asyncio

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from datalayer.asyncio import AsyncDatabase, AsyncUnitOfWork

adb = AsyncDatabase("sqlite+aiosqlite:///release-check.sqlite3")


class User(adb.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)


async def main() -> None:
    await adb.create_all()
    async with AsyncUnitOfWork(adb) as uow:
        made = await uow.repository(User).create_or_first(email="a@example.com")
    async with adb.Session() as s:
        assert (await s.first_or_create(User, email="a@example.com")).id == made.id
    await adb.dispose()
    print("async unit of work on aiosqlite: done")


asyncio.run(main())
PYTHON
for url in "${DATALAYER_TEST_POSTGRESQL_URL:-}" "${DATALAYER_TEST_MARIADB_URL:-}"; do
  if [ -n "$url" ]; then
    "$work/venv/bin/datalayer" demo --url "$url" >"$work/demo.log"
    test "$(tail -n 1 "$work/demo.log")" = "done"
    echo "demo on $(head -n 1 "$work/demo.log" | sed 's/^datalayer demo on //'): done"
  fi
done
step "release check passed: $name $version"
