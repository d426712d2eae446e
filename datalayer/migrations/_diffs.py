"""Alembic's autogenerate differences, one readable line each, as a revision would apply them."""

from __future__ import annotations

from typing import Any

__all__ = ["describe"]

_VERB = {"add": "add", "remove": "drop"}
_THINGS = {
    "table": "table",
    "column": "column",
    "index": "index",
    "constraint": "constraint",
    "fk": "foreign key",
}
_CHANGES = {
    "modify_type": "type",
    "modify_nullable": "nullable",
    "modify_default": "server default",
    "modify_comment": "comment",
}


def describe(diffs: list[Any]) -> list[str]:
    """One line per difference: ``add column users.nickname VARCHAR(50)``, ``change type of ...``."""
    lines: list[str] = []
    for diff in diffs:
        if isinstance(diff, list):  # the changes of one column come grouped
            lines += describe(diff)  # pyright: ignore[reportUnknownArgumentType]
        else:
            lines.append(_line(tuple(diff)))  # pyright: ignore[reportUnknownArgumentType]
    return lines


def _line(diff: tuple[Any, ...]) -> str:
    kind = str(diff[0])
    verb, _, thing = kind.partition("_")
    if kind in _CHANGES:
        _schema, table, column, _existing, old, new = diff[1:7]
        return f"change {_CHANGES[kind]} of {table}.{column}: {_shown(old)} -> {_shown(new)}"
    if verb in _VERB and thing == "column":
        _schema, table, column = diff[1:4]
        return f"{_VERB[verb]} column {table}.{column.name} {column.type}"
    if verb in _VERB and thing == "table":
        return f"{_VERB[verb]} table {diff[1].name}"
    if verb in _VERB and thing in _THINGS:
        item = diff[1]
        columns = ", ".join(column.name for column in item.columns)
        return f"{_VERB[verb]} {_THINGS[thing]} {item.name} on {item.table.name} ({columns})"
    return f"{kind.replace('_', ' ')}: {', '.join(_shown(part) for part in diff[1:])}"


def _shown(value: Any) -> str:
    arg = getattr(value, "arg", None)  # a server default: its SQL text, or a string value
    if isinstance(arg, str):
        return f"'{arg}'"
    return str(arg if arg is not None else value)
