"""Records read back as their dataclasses, and the readers' type table, from one definition.

A bundle is hostile: a record line may lack a field, carry one of the wrong type or hold
fields no irkit wrote. `record_from_dict` checks every field against the dataclass's own
annotations and builds the record, or says which field is wrong; `records_of` turns a bad
record into a line in the reader's `problems` (a logged skip) and goes on. Unknown fields
are dropped, a missing field with a default takes it (a bundle from an older irkit).

`field_types` is the table of Python types per field name that the dict-based analysis uses
to drop a wrong-typed field (`irkit.analysis.heuristics.FIELD_TYPES`): it is read from the
packaged JSON Schemas that `irkit.evidence.schema` generates from the same dataclasses.
"""

import json
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import MISSING, fields, is_dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, Union, get_args, get_origin, get_type_hints

from irkit.evidence.records import Record

if TYPE_CHECKING:
    from irkit.evidence.reader import BundleReader

SCHEMA_DIR = Path(str(resources.files("irkit") / "data" / "schema"))
R = TypeVar("R", bound=Record)
Check = Callable[[Any], Any]
"""Returns the value as the record holds it, or raises _WrongType."""


class RecordError(ValueError):
    """A record that does not fit its dataclass; the message names the field."""


class _WrongType(Exception):
    pass


_EXACT: dict[Any, frozenset[type]] = {
    type(None): frozenset({type(None)}),
    bool: frozenset({bool}),
    int: frozenset({int}),
    float: frozenset({float, int}),
    str: frozenset({str}),
}
"""What JSON gives for a simple annotation, matched on the exact type (True is not an int;
an int is a float's value too, as in Python's typing)."""


def _exact(annotation: Any) -> frozenset[type] | None:
    """The exact types a simple annotation (`int`, `str | None`, ...) admits; None if it is not
    simple. The fast path: most fields of most records are simple."""
    if annotation in _EXACT:
        return _EXACT[annotation]
    if get_origin(annotation) in (Union, types.UnionType):
        parts = [_exact(arg) for arg in get_args(annotation)]
        if all(part is not None for part in parts):
            return frozenset().union(*parts)  # type: ignore[arg-type]
    return None


def _of_types(exact: frozenset[type]) -> Check:
    def check(value: Any) -> Any:
        if type(value) not in exact:
            raise _WrongType
        return value

    return check


def _union(checks: list[Check]) -> Check:
    def check(value: Any) -> Any:
        for one in checks:
            try:
                return one(value)
            except _WrongType:
                continue
        raise _WrongType

    return check


def _list(annotation: Any) -> Check:
    exact = _exact(annotation)
    if exact is not None:

        def simple(value: Any) -> Any:
            if type(value) is not list or not all(type(v) in exact for v in value):
                raise _WrongType
            return value

        return simple
    item = _checker(annotation)

    def check(value: Any) -> Any:
        if type(value) is not list:
            raise _WrongType
        return [item(v) for v in value]

    return check


def _dict(annotation: Any) -> Check:
    item = _checker(annotation)

    def check(value: Any) -> Any:
        if type(value) is not dict or not all(type(k) is str for k in value):
            raise _WrongType
        return {k: item(v) for k, v in value.items()}

    return check


def _nested(cls: type) -> Check:
    def check(value: Any) -> Any:
        if type(value) is not dict:
            raise _WrongType
        try:
            return record_from_dict(cls, value)
        except RecordError as exc:
            raise _WrongType from exc

    return check


def _checker(annotation: Any) -> Check:
    origin, args = get_origin(annotation), get_args(annotation)
    exact = _exact(annotation)
    if exact is not None:
        return _of_types(exact)
    if annotation is Any:
        return lambda value: value
    if origin in (Union, types.UnionType):
        return _union([_checker(arg) for arg in args])
    if origin is list:
        return _list(args[0])
    if origin is dict:
        return _dict(args[1])
    if is_dataclass(annotation):
        return _nested(annotation)  # type: ignore[arg-type]
    raise TypeError(f"cannot check a field of type {annotation!r}")


@cache
def _field_checks(cls: type) -> tuple[tuple[str, frozenset[type] | None, Check, bool], ...]:
    hints = get_type_hints(cls)
    return tuple(
        (
            item.name,
            _exact(hints[item.name]),
            _checker(hints[item.name]),
            item.default is MISSING and item.default_factory is MISSING,
        )
        for item in fields(cls)
        if item.init
    )


def record_from_dict(cls: type[R], data: Mapping[str, Any]) -> R:
    """The record `data` holds, checked field by field; RecordError names the first bad one."""
    values = {}
    name = ""
    try:
        for name, exact, check, required in _field_checks(cls):  # type: ignore[arg-type]
            if name in data:
                value = data[name]
                if exact is None:
                    values[name] = check(value)
                elif type(value) in exact:
                    values[name] = value
                else:
                    raise _WrongType
            elif required:
                raise RecordError(f"no {name!r} field")
    except _WrongType:
        raise RecordError(f"field {name!r} is not what a {cls.__name__} holds") from None
    return cls(**values)


def typed_records(
    items: Iterable[Mapping[str, Any]], cls: type[R], problems: list[str], where: str
) -> Iterator[R]:
    """The records among `items` as `cls`; each that does not fit is one line in `problems`."""
    for number, data in enumerate(items, start=1):
        try:
            yield record_from_dict(cls, data)
        except RecordError as exc:
            problems.append(f"{where}: {cls.kind} record {number} skipped: {exc}")


def records_of(reader: "BundleReader", cls: type[R]) -> Iterator[R]:
    """Every `cls.kind` record of a bundle as `cls`; bad ones are skipped into reader.problems."""
    return typed_records(reader.records(cls.kind), cls, reader.problems, str(reader.path))


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "array": (list,),
    "object": (dict,),
}


@cache
def _properties(kind: str) -> dict[str, Any]:
    schema = json.loads((SCHEMA_DIR / f"{kind}.json").read_text())
    return dict(schema["properties"])


def _types_of(schema: Mapping[str, Any]) -> tuple[type, ...] | None:
    named = schema.get("type")
    names = [named] if isinstance(named, str) else list(named or [])
    if "boolean" in names or not names:
        return None
    found: tuple[type, ...] = ()
    for name in names:
        found += _PYTHON_TYPES.get(name, ())
    return found


def field_types(*kinds: str) -> dict[str, tuple[type, ...]]:
    """Field name → the types its value may have, across the record types `kinds` (None is
    left out: a null field is dropped like a wrong one). A boolean field or one of any type is
    left out too: the table is for fields whose value a wrong type makes unusable."""
    table: dict[str, tuple[type, ...]] = {}
    for kind in kinds:
        for name, schema in _properties(kind).items():
            found = _types_of(schema)
            if name == "type" or found is None:
                continue
            table[name] = tuple(dict.fromkeys(table.get(name, ()) + found))
    return table
