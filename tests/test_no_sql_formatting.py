"""No SQL in the package is built by string formatting: values go in as bound parameters, always.

Ruff's S608 only recognises strings that look like DML (``SELECT .. FROM``,
``INSERT INTO``, ``UPDATE .. SET``, ``DELETE FROM``): it misses
``exec_driver_sql(f"PRAGMA {x}")``, ``text(f"SET LOCAL lock_timeout = {x}")``,
``f"KILL {pid}"``, DDL, and SQL built in one place and executed in another.
This check parses every module of ``datalayer/`` and ``repositories/``:

- ``text()`` and ``exec_driver_sql()`` take a string literal, a name bound
  once, at module level, to a string literal, or a backend record's ``*_sql``
  field (``facts.read_only_sql``), which the records give as such literals, or
  a bulk plan's (``plan.insert_sql``: a table's identifiers, quoted by the
  dialect, and placeholders; tests/test_bulk_load.py loads awkward names);
- ``execute()`` and ``executemany()`` may take statements (``select(...)``,
  ``text(...)``, a variable holding one), but never a string built by an
  f-string, ``%``, ``.format()``, ``.join()`` or ``+``, directly or through a
  variable assigned in the same function or module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("datalayer", "repositories")
LITERAL_ONLY = {"text", "exec_driver_sql"}
NO_FORMATTING = {"execute", "executemany"}
SQL_KEYWORDS = ("text", "statement", "operation", "sql", "query")
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def built_how(node: ast.expr) -> str | None:
    """How ``node`` builds a string at run time, or None when it does not."""
    if isinstance(node, ast.JoinedStr):
        return "an f-string" if any(isinstance(part, ast.FormattedValue) for part in node.values) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return "%-formatting"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return "concatenation (+)"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in ("format", "format_map"):
            return ".format()"
        if node.func.attr == "join":
            return ".join()"
    return None


def _is_str_literal(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


class _Scope:
    """The assignments of one module or function body (not of the functions nested in it)."""

    def __init__(self, body: list[ast.stmt]) -> None:
        self.values: dict[str, list[ast.expr | None]] = {}
        for statement in body:
            for node in _walk_scope(statement):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        for name in _names(target):
                            self.values.setdefault(name, []).append(node.value)
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    self.values.setdefault(node.target.id, []).append(node.value)
                elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                    built = ast.BinOp(left=node.target, op=node.op, right=node.value)
                    self.values.setdefault(node.target.id, []).append(built)
                elif isinstance(node, (ast.For, ast.With, ast.NamedExpr)):
                    targets = [node.target] if isinstance(node, (ast.For, ast.NamedExpr)) else []
                    if isinstance(node, ast.With):
                        targets = [item.optional_vars for item in node.items if item.optional_vars]
                    for target in targets:
                        for name in _names(target):
                            self.values.setdefault(name, []).append(None)  # bound to something unknown


def _walk_scope(node: ast.AST) -> list[ast.AST]:
    """``node`` and its descendants, not entering a function, lambda or class (scopes of their own)."""
    found = [node]
    if isinstance(node, SCOPES):
        return found
    for child in ast.iter_child_nodes(node):
        found += _walk_scope(child)
    return found


def _names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _names(element)]
    return []


def _sql_argument(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return next((keyword.value for keyword in call.keywords if keyword.arg in SQL_KEYWORDS), None)


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def violations_in(source: str, filename: str) -> list[str]:
    """``file:line: what`` for every SQL argument built by string formatting in ``source``."""
    tree = ast.parse(source, filename)
    module = _Scope(tree.body)
    module_literals = {
        name for name, values in module.values.items() if all(_is_str_literal(value) for value in values)
    }
    found: list[str] = []

    def check(body: list[ast.stmt], scope: _Scope) -> None:
        for statement in body:
            for node in _walk_scope(statement):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    check(node.body, _Scope(node.body))
                elif isinstance(node, ast.ClassDef):
                    check(node.body, scope)
                elif isinstance(node, ast.Lambda):
                    check([ast.Expr(node.body)], scope)
                elif isinstance(node, ast.Call):
                    problem = _problem(node, scope)
                    if problem:
                        found.append(f"{filename}:{node.lineno}: {_called_name(node)}() {problem}")

    def _problem(call: ast.Call, scope: _Scope) -> str | None:
        name = _called_name(call)
        argument = _sql_argument(call)
        if name not in LITERAL_ONLY | NO_FORMATTING or argument is None:
            return None
        how = built_how(argument)
        if how:
            return f"takes SQL built by {how}"
        if isinstance(argument, ast.Name):
            local = scope.values.get(argument.id) if scope is not module else None
            if local is not None:
                built = [built_how(value) for value in local if value is not None and built_how(value)]
                if built:
                    return f"takes {argument.id!r}, SQL built by {built[0]}"
                if name in LITERAL_ONLY and not all(_is_str_literal(value) for value in local):
                    return f"takes {argument.id!r}, which is not bound to a string literal"
                return None
            if name in LITERAL_ONLY and argument.id not in module_literals:
                return f"takes {argument.id!r}, which is not a module-level string literal"
            values = module.values.get(argument.id, [])
            built = [built_how(value) for value in values if value is not None and built_how(value)]
            return f"takes {argument.id!r}, SQL built by {built[0]}" if built else None
        if name in LITERAL_ONLY and isinstance(argument, ast.Attribute) and argument.attr.endswith("_sql"):
            return None  # a backend record's statement (test_backend_records_give_...), or a plan's
        if name in LITERAL_ONLY and not _is_str_literal(argument):
            return "takes SQL that is not a string literal"
        return None

    check(tree.body, module)
    return found


def test_backend_records_give_their_sql_as_literals() -> None:
    source = (ROOT / "datalayer" / "_backends.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    module = _Scope(tree.body)
    literals = {name for name, values in module.values.items() if all(_is_str_literal(v) for v in values)}
    given = [
        keyword
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _called_name(node) == "Backend"
        for keyword in node.keywords
        if keyword.arg and keyword.arg.endswith("_sql")
    ]
    assert given, "the records give their read-only statements"
    for keyword in given:
        value = keyword.value
        named_literal = isinstance(value, ast.Name) and value.id in literals
        assert _is_str_literal(value) or named_literal, ast.dump(value)


def package_modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_no_sql_in_the_package_is_built_by_string_formatting() -> None:
    modules = package_modules()
    assert len(modules) > 10 and any(path.name == "unit_of_work.py" for path in modules)
    found = [
        violation
        for path in modules
        for violation in violations_in(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert found == [], "SQL built by string formatting (bind parameters instead):\n" + "\n".join(found)


BAD = """
from sqlalchemy import text
import sqlalchemy as sa

TIMEOUT = "SET LOCAL lock_timeout = '1s'"
TABLE = "t_users"
QUERY = "SELECT * FROM " + TABLE


def f(connection, session, cursor, name, pid, table, parts):
    connection.execute(text(f"SELECT * FROM users WHERE name = '{name}'"))
    connection.execute(text("SELECT * FROM users WHERE name = '%s'" % name))
    connection.execute(sa.text("SELECT * FROM users WHERE name = '{}'".format(name)))
    connection.execute(text("SELECT * FROM users WHERE name = '" + name + "'"))
    connection.exec_driver_sql(f"PRAGMA query_only = {pid}")
    connection.exec_driver_sql(statement=f"KILL {pid}")
    statement = f"DROP TABLE {table}"
    connection.exec_driver_sql(statement)
    cursor.execute("DELETE FROM t WHERE id = %d" % pid)
    cursor.execute(" ".join(parts))
    session.execute(text(QUERY))
    sql = "UPDATE t SET a = 1"
    sql += f" WHERE id = {pid}"
    cursor.executemany(sql, [])
    session.execute(text(name))
    handler = lambda: connection.exec_driver_sql(f"SAVEPOINT {name}")
"""

GOOD = """
from sqlalchemy import select, text

TIMEOUT = "SET LOCAL lock_timeout = '1s'"


def f(connection, session, cursor, users, pid):
    connection.execute(text("SELECT * FROM users WHERE name = :name"), {"name": "x"})
    connection.execute(text(TIMEOUT))
    connection.exec_driver_sql("PRAGMA query_only = 1")
    connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    cursor.execute("PRAGMA foreign_keys = ON")
    statement = select(users).where(users.c.id == pid)
    session.execute(statement)
    session.execute(select(users).filter_by(id=pid))
    message = f"killed {pid}"  # formatting that is not SQL is fine
    print(message)
"""


def test_the_check_flags_every_kind_of_formatted_sql(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(BAD)
    found = violations_in(bad.read_text(), "bad.py")
    lines = BAD.splitlines()
    flagged = {int(violation.split(":")[1]) for violation in found}
    expected = {
        number
        for number, line in enumerate(lines, start=1)
        if ("execute" in line or "exec_driver_sql" in line) and "def " not in line
    }
    assert flagged == expected, "\n".join(found)
    assert "bad.py:11: text() takes SQL built by an f-string" in found
    assert "bad.py:12: text() takes SQL built by %-formatting" in found
    assert "bad.py:13: text() takes SQL built by .format()" in found
    assert "bad.py:14: text() takes SQL built by concatenation (+)" in found
    assert "bad.py:18: exec_driver_sql() takes 'statement', SQL built by an f-string" in found
    assert "bad.py:21: text() takes 'QUERY', which is not a module-level string literal" in found
    assert "bad.py:24: executemany() takes 'sql', SQL built by concatenation (+)" in found
    assert "bad.py:25: text() takes 'name', which is not a module-level string literal" in found


def test_the_check_lets_literals_constants_statements_and_bound_parameters_through(tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text(GOOD)
    assert violations_in(good.read_text(), "good.py") == []


@pytest.mark.parametrize(
    "snippet", ["text(f'SELECT {x}')", "text('SELECT ' + x)", "exec_driver_sql('%s' % x)"]
)
def test_the_check_reads_module_level_code_too(snippet: str) -> None:
    assert len(violations_in(f"x = input()\n{snippet}\n", "top.py")) == 1
