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


def _simple(expected: type) -> Check:
    def check(value: Any) -> Any:
        if isinstance(value, bool) and expected is not bool:
            raise _WrongType
        if expected is float and isinstance(value, int):
            return float(value)
        if not isinstance(value, expected):
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


def _list(item: Check) -> Check:
    def check(value: Any) -> Any:
        if not isinstance(value, list):
            raise _WrongType
        return [item(v) for v in value]

    return check


def _dict(item: Check) -> Check:
    def check(value: Any) -> Any:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise _WrongType
        return {k: item(v) for k, v in value.items()}

    return check


def _nested(cls: type) -> Check:
    def check(value: Any) -> Any:
        if not isinstance(value, dict):
            raise _WrongType
        try:
            return record_from_dict(cls, value)
        except RecordError as exc:
            raise _WrongType from exc

    return check


def _checker(annotation: Any) -> Check:
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is Any:
        return lambda value: value
    if annotation is type(None):
        return _simple(type(None))
    if origin in (Union, types.UnionType):
        return _union([_checker(arg) for arg in args])
    if origin is list:
        return _list(_checker(args[0]))
    if origin is dict:
        return _dict(_checker(args[1]))
    if is_dataclass(annotation):
        return _nested(annotation)  # type: ignore[arg-type]
    if isinstance(annotation, type):
        return _simple(annotation)
    raise TypeError(f"cannot check a field of type {annotation!r}")


@cache
def _field_checks(cls: type) -> tuple[tuple[str, Check, bool], ...]:
    hints = get_type_hints(cls)
    return tuple(
        (
            item.name,
            _checker(hints[item.name]),
            item.default is MISSING and item.default_factory is MISSING,
        )
        for item in fields(cls)
        if item.init
    )


def record_from_dict(cls: type[R], data: Mapping[str, Any]) -> R:
    """The record `data` holds, checked field by field; RecordError names the first bad one."""
    values = {}
    for name, check, required in _field_checks(cls):  # type: ignore[arg-type]
        if name not in data:
            if required:
                raise RecordError(f"no {name!r} field")
            continue
        try:
            values[name] = check(data[name])
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
