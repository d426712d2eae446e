"""``view(Model)``: a read model of a mapped class, built from some of its column attributes.

The class is checked once, when it is declared, and returned unchanged; what the
reads need (the model, the fields, how to build one from a row) is recorded on it.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import attrs
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import ColumnProperty, Mapper

from .._mapping import mapper_of, primary_key_attributes
from ..errors import UnknownAttributeError, UnsupportedAttributeError, UsageError

__all__ = ["ViewSpec", "read_only", "spec_of", "view"]

V = TypeVar("V")
_SPEC = "__datalayer_view__"
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


@attrs.frozen(eq=False)
class ViewSpec:
    """What a view's reads need: its model, its fields (model attribute names) and its constructor."""

    cls: type[Any]
    model: type[Any]
    mapper: Mapper[Any]
    fields: tuple[str, ...]
    key: tuple[str, ...]
    """The model's primary key attributes, in key order (what ``get`` takes)."""
    make: Callable[..., Any]
    """One view object from the fields' values, given positionally in the fields' order."""
    plans: dict[Hashable, Any] = attrs.field(factory=dict[Hashable, Any])
    """The view's statements by kind and filter shape (see ``_statements``)."""


def view(model: type[Any]) -> Callable[[type[V]], type[V]]:
    """Declare the decorated class a read model of ``model``: the reads build it straight from rows.

    The class is an attrs class, a dataclass or a NamedTuple whose fields are
    column attributes of ``model`` (by name); it is returned unchanged. The
    session helpers that read (``first``, ``all``, ``get``...) and
    ``Repository[View]`` accept it wherever they accept a model: they select
    the fields' columns alone and build view objects, which the session does
    not track. Filters may name anything the model's helpers accept, not only
    the view's fields. A read runs in the session's transaction, after its
    autoflush, and never commits; a repository of a view refuses every write.
    A field that is not a column attribute is refused here, with a
    :class:`~datalayer.errors.UsageError` naming the field and the model.

    Example::

        @view(User)
        @attrs.frozen
        class UserRow:
            id: int
            email: str

        row = dbs.first(UserRow, email="foo@example.com")  # UserRow | None
    """
    mapper = mapper_of(model)

    def declare(cls: type[V]) -> type[V]:
        declared = spec_of(cls)
        if declared is not None:
            raise UsageError(f"{cls.__name__} is already a view of {declared.model.__name__}")
        names, arguments = _fields(cls, model)
        for name in names:
            _check_field(cls, mapper, name)
        key = primary_key_attributes(mapper)  # the mappers need not be configured yet
        setattr(cls, _SPEC, ViewSpec(cls, model, mapper, names, key, _constructor(cls, arguments)))
        return cls

    return declare


def read_only(repository: object, method: str, spec: ViewSpec) -> UsageError:
    """The refusal of a write (``method``) on a repository of a view: real and fake alike."""
    model = spec.model.__name__
    return UsageError(
        f"{type(repository).__name__}.{method}() writes, and {spec.cls.__name__} is a view of {model}: "
        f"views are read-only; write through a Repository[{model}]"
    )


def spec_of(cls: Any) -> ViewSpec | None:
    """The spec of a class declared with :func:`view`, or None for anything else (a model...)."""
    spec: ViewSpec | None = getattr(cls, _SPEC, None)
    return spec if spec is not None and spec.cls is cls else None  # not a subclass of a view


def _fields(cls: Any, model: type[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The fields the constructor takes, and the name of each one's argument."""
    name: str = getattr(cls, "__name__", repr(cls))
    named_tuple_fields: Any = getattr(cls, "_fields", None)
    names: tuple[str, ...]
    if attrs.has(cls):
        taken = [field for field in attrs.fields(cls) if field.init]
        names, arguments = tuple(f.name for f in taken), tuple(f.alias or f.name for f in taken)
    elif dataclasses.is_dataclass(cls):
        names = arguments = tuple(field.name for field in dataclasses.fields(cls) if field.init)
    elif isinstance(cls, type) and issubclass(cls, tuple) and named_tuple_fields is not None:
        names = arguments = tuple(named_tuple_fields)
    else:
        raise UsageError(
            f"view({model.__name__}) takes an attrs class, a dataclass or a NamedTuple, and {name} is none "
            "of them (put @view(...) above @attrs.frozen or @dataclass)"
        )
    if not names:
        raise UsageError(f"the view {name} has no fields to read from {model.__name__}")
    return names, arguments


def _check_field(cls: type[Any], mapper: Mapper[Any], name: str) -> None:
    """Refuse a field that is not a column attribute of the model (without configuring the mappers)."""
    model = mapper.class_
    try:
        prop = mapper.get_property(name)
    except sa_exc.InvalidRequestError:
        prop = None
    if isinstance(prop, ColumnProperty):
        return
    known = list(mapper.all_orm_descriptors.keys())
    if prop is None and name not in known:
        matches = difflib.get_close_matches(name, known, n=1)
        error: UsageError = UnknownAttributeError(model, name, matches[0] if matches else None)
    else:
        error = UnsupportedAttributeError(
            model, name, "is not a column attribute: a view's fields read columns, one each"
        )
    error.add_note(f"datalayer: the field {cls.__name__}.{name} of the view {cls.__name__}")
    raise error


def _constructor(cls: type[Any], arguments: tuple[str, ...]) -> Callable[..., Any]:
    """The class itself when it takes the fields positionally, in order; else a call by keyword."""
    parameters = list(inspect.signature(cls).parameters.values())
    given = set(arguments)
    for parameter in parameters:
        required = parameter.default is inspect.Parameter.empty and parameter.kind not in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        )
        if required and parameter.name not in given:
            raise UsageError(
                f"the view {cls.__name__} cannot be built from its fields: its constructor also takes "
                f"{parameter.name!r}, which is not a field"
            )
    leading = [parameter.name for parameter in parameters[: len(arguments)] if parameter.kind in _POSITIONAL]
    if tuple(leading) == arguments:
        return cls

    def by_keyword(*values: Any) -> Any:
        return cls(**dict(zip(arguments, values, strict=True)))

    return by_keyword
