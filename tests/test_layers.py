"""Imports run one way: repositories uses datalayer, datalayer never uses repositories."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "datalayer"


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_datalayer_module_imports_repositories(path: Path) -> None:
    assert not {name for name in imported_modules(path) if name.split(".")[0] == "repositories"}


def test_the_check_sees_an_import_hidden_in_a_function(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def late():\n    from repositories import Repository\n    return Repository\n")
    assert "repositories" in imported_modules(sample)


def test_datalayer_listens_on_its_own_session_class_and_leaves_sqlalchemys_alone() -> None:
    from sqlalchemy import event, orm

    from datalayer import Session, _flush_checks, _read_only

    for name, listener in [
        ("before_flush", _flush_checks.check_flush),
        ("after_begin", _read_only._begin_read_only),
    ]:
        assert event.contains(Session, name, listener)
        assert not event.contains(orm.Session, name, listener)
    plain = orm.Session()  # a session of another library: no listener of datalayer's on it
    for name in ("after_begin", "after_commit", "do_orm_execute", "before_flush", "after_transaction_end"):
        assert list(getattr(plain.dispatch, name)) == [], name
