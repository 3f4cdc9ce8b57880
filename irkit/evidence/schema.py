"""Generate every description of the records from the record dataclasses themselves.

The dataclasses are the one definition of a record. From them come: a JSON Schema per record
type (`irkit/data/schema/<type>.json`, packaged; the readers' type table is read from them by
`irkit.evidence.typed`), and the field tables of `docs/records.md` (the text between
`<!-- record: TYPE -->` and `<!-- end record -->`; the prose around them is the author's).
A field's meaning is its attribute docstring in the dataclass, else its entry in
`irkit.evidence.schema_fields.MEANINGS`.

    python -m irkit.evidence.schema --write    # regenerate the schemas and the docs tables
    python -m irkit.evidence.schema --check    # exit 1 when either has drifted

tests/test_records_schema.py runs the check, so a field added without its docs fails CI.
"""

import argparse
import ast
import importlib
import inspect
import itertools
import json
import re
import sys
import textwrap
import types
from collections.abc import Iterator
from dataclasses import MISSING, Field, fields, is_dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from irkit.evidence.records import Record
from irkit.evidence.schema_fields import MEANINGS
from irkit.evidence.typed import SCHEMA_DIR

RECORD_CLASSES = (
    "irkit.collectors.processes:ProcessRecord",
    "irkit.collectors.sockets:SocketRecord",
    "irkit.collectors.persistence:PersistenceRecord",
    "irkit.collectors.accounts:AccountRecord",
    "irkit.collectors.accounts:GroupRecord",
    "irkit.collectors.accounts:SudoRuleRecord",
    "irkit.collectors.accounts:LoginRecord",
    "irkit.collectors.modules:KernelModuleRecord",
    "irkit.collectors.modules:KernelTaintRecord",
    "irkit.collectors.gpu:GpuRecord",
    "irkit.collectors.gpu:GpuProcessRecord",
    "irkit.collectors.host:HostRecord",
    "irkit.collectors.host:SessionRecord",
    "irkit.collectors.symbols:SymbolMaterialRecord",
    "irkit.collectors.memory:ProcessDump",
    "irkit.collectors.memory:MemoryImage",
    "irkit.evidence.records:FileRecord",
    "irkit.hunt.hits:YaraHit",
    "irkit.evidence.records:Finding",
    "irkit.analysis.heuristics:Verdict",
    "irkit.analysis.heuristics:ProcessVerdict",
    "irkit.analysis.iocs:Ioc",
    "irkit.analysis.startfiles:StartedConfig",
    "irkit.review.rescan:RescanRecord",
    "irkit.review.memory:MemoryReviewRecord",
    "irkit.memory.analyze:MemoryProcess",
    "irkit.memory.analyze:MemorySocket",
    "irkit.memory.analyze:MemoryRegion",
    "irkit.memory.analyze:ImageHit",
)
"""Every record type irkit writes, in the order docs/records.md shows them."""

DOCS = Path(__file__).resolve().parents[2] / "docs" / "records.md"
SCHEMA_ID = "https://irkit.invalid/schema/{kind}.json"
_BLOCK = re.compile(r"(<!-- record: ([\w-]+) -->\n)(.*?)(<!-- end record -->)", re.S)


def record_classes() -> list[type[Record]]:
    found = []
    for spec in RECORD_CLASSES:
        module, name = spec.split(":")
        found.append(getattr(importlib.import_module(module), name))
    return found


def _json_type(annotation: Any) -> dict[str, Any]:
    origin, args = get_origin(annotation), get_args(annotation)
    simple = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string"}
    if annotation is Any:
        return {}
    if annotation in simple:
        return {"type": simple[annotation]}
    if origin in (Union, types.UnionType):
        parts = [_json_type(arg) for arg in args]
        if all(set(part) == {"type"} for part in parts):
            return {"type": [part["type"] for part in parts]}
        return {"anyOf": parts}
    if origin is list:
        return {"type": "array", "items": _json_type(args[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": _json_type(args[1])}
    if is_dataclass(annotation):
        return _object_schema(annotation)  # type: ignore[arg-type]
    raise TypeError(f"no JSON Schema for a record field of type {annotation!r}")


def _required(item: Field[Any]) -> bool:
    """A field without a default: irkit writes every field, but a bundle from an older irkit
    may lack one added since with a default, and readers take the default."""
    return item.default is MISSING and item.default_factory is MISSING


def _object_schema(cls: type) -> dict[str, Any]:
    hints = get_type_hints(cls)
    meanings = field_meanings(cls)
    properties = {}
    for item in fields(cls):
        schema = _json_type(hints[item.name])
        if item.name in meanings:
            schema["description"] = meanings[item.name]
        properties[item.name] = schema
    return {
        "type": "object",
        "properties": properties,
        "required": [item.name for item in fields(cls) if _required(item)],
        "additionalProperties": False,
    }


def record_schema(cls: type[Record]) -> dict[str, Any]:
    """The JSON Schema of one record line: `type` names the kind; no field beyond the
    dataclass's, and every field without a default present."""
    schema = _object_schema(cls)
    schema["properties"] = {"type": {"const": cls.kind}, **schema["properties"]}
    schema["required"] = ["type", *schema["required"]]
    head = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID.format(kind=cls.kind),
        "title": cls.kind,
    }
    if cls.__doc__ and not cls.__doc__.startswith(f"{cls.__name__}("):
        head["description"] = inspect.cleandoc(cls.__doc__)
    return {**head, **schema}


def _attribute_docstrings(cls: type) -> dict[str, str]:
    """`field: T` followed by a string literal: the convention records.py uses."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    found = {}
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[statement.target.id] = " ".join(following.value.value.split())
    return found


def field_meanings(cls: type) -> dict[str, str]:
    """Each field's meaning: its docstring (the nearest class that has one), else the table."""
    meanings: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        kind = getattr(klass, "kind", None) if isinstance(klass, type) else None
        if is_dataclass(klass):
            meanings.update(MEANINGS.get(kind or klass.__name__, {}))
            meanings.update(_attribute_docstrings(klass))
    names = {item.name for item in fields(cls)}
    return {name: text for name, text in meanings.items() if name in names}


def type_text(annotation: Any) -> str:
    """How docs/records.md writes a type: `int|null`, `list[str]`, `dict[str,int]`."""
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is type(None):
        return "null"
    if annotation is Any:
        return "any"
    if origin in (Union, types.UnionType):
        return "\\|".join(type_text(arg) for arg in args)
    if origin is list:
        return f"list[{type_text(args[0])}]"
    if origin is dict:
        return "dict" if args[1] is Any else f"dict[{type_text(args[0])},{type_text(args[1])}]"
    if is_dataclass(annotation):
        return "object"
    return getattr(annotation, "__name__", str(annotation))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def docs_table(cls: type[Record]) -> str:
    hints = get_type_hints(cls)
    meanings = field_meanings(cls)
    rows = ["| field | type | meaning |", "|---|---|---|"]
    for item in fields(cls):
        meaning = _cell(meanings.get(item.name, ""))
        rows.append(f"| {item.name} | {type_text(hints[item.name])} | {meaning} |")
    return "\n".join(rows) + "\n"


def render_docs(text: str, classes: list[type[Record]]) -> str:
    """`text` with every record block regenerated; a block naming no record type is an error."""
    by_kind = {cls.kind: cls for cls in classes}

    def table(match: re.Match[str]) -> str:
        kind = match.group(2)
        if kind not in by_kind:
            raise KeyError(f"docs/records.md has a block for unknown record type {kind!r}")
        return match.group(1) + docs_table(by_kind[kind]) + match.group(4)

    return _BLOCK.sub(table, text)


def schema_text(cls: type[Record]) -> str:
    return json.dumps(record_schema(cls), indent=2, ensure_ascii=False) + "\n"


def problems(docs: Path = DOCS, schema_dir: Path = SCHEMA_DIR) -> Iterator[str]:
    """Every way the docs and the packaged schemas differ from the dataclasses."""
    classes = record_classes()
    for cls in classes:
        missing = [item.name for item in fields(cls) if item.name not in field_meanings(cls)]
        if missing:
            yield f"{cls.kind}: no meaning for {', '.join(missing)} (see schema_fields.py)"
        path = schema_dir / f"{cls.kind}.json"
        if not path.is_file() or path.read_text() != schema_text(cls):
            yield f"{path} is not what the dataclass {cls.__name__} gives"
    text = docs.read_text()
    shown = {match.group(2) for match in _BLOCK.finditer(text)}
    for cls in classes:
        if cls.kind not in shown:
            yield f"{docs} has no `<!-- record: {cls.kind} -->` block"
    if render_docs(text, classes) != text:
        yield f"{docs}: a field table differs from its dataclass"
    known = {f"{cls.kind}.json" for cls in classes}
    for path in sorted(schema_dir.glob("*.json")):
        if path.name not in known:
            yield f"{path} describes no record type"


def write(docs: Path = DOCS, schema_dir: Path = SCHEMA_DIR) -> None:
    classes = record_classes()
    schema_dir.mkdir(parents=True, exist_ok=True)
    for cls in classes:
        (schema_dir / f"{cls.kind}.json").write_text(schema_text(cls))
    docs.write_text(render_docs(docs.read_text(), classes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m irkit.evidence.schema", description=__doc__)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="regenerate schemas and docs")
    action.add_argument("--check", action="store_true", help="exit 1 when they have drifted")
    args = parser.parse_args(argv)
    if args.write:
        write()
    found = list(problems())
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
