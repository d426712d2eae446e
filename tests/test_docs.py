"""Every Python example in the docs and the README runs as written, each as a fresh module."""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import sys
import types
from collections.abc import Awaitable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def examples() -> list[object]:
    found: list[object] = []
    for page in PAGES:
        text = page.read_text()
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            found.append(pytest.param(match.group(1), page, line, id=f"{page.name}:{line}"))
    return found


@pytest.mark.parametrize(("code", "page", "line"), examples())
def test_the_example_runs(code: str, page: Path, line: int, tmp_path: Path) -> None:
    name = f"docs_example_{page.stem.replace('-', '_')}_{line}"
    module = types.ModuleType(name)
    sys.modules[name] = module  # SQLAlchemy and UnitOfWork resolve annotations through it
    cwd = os.getcwd()
    os.chdir(tmp_path)  # an example that writes a database file writes it here
    try:
        exec(compile("\n" * (line - 1) + code, str(page), "exec"), module.__dict__)
    finally:
        os.chdir(cwd)
        del sys.modules[name]
        for value in vars(module).values():
            if hasattr(value, "dispose") and hasattr(value, "engine"):
                disposed = value.dispose()  # a Database the example opened
                if inspect.isawaitable(disposed):  # an AsyncDatabase's
                    asyncio.run(_awaited(disposed))


async def _awaited(awaitable: Awaitable[object]) -> None:
    await awaitable
