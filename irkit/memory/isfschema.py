"""Validate an ISF against volatility3's own JSON schema, fast.

Why not jsonschema: on a 12 MB kernel ISF it takes ~50 s (and volatility3 repeats that on
every load of an ISF it has not seen). volatility3's schemas use a small keyword set (type,
properties, required, additionalProperties, pattern, oneOf, items, $ref); this interprets
exactly those, from the schema file volatility3 ships, in about a second. A schema using any
other validating keyword is refused rather than half-checked.
"""

import json
import re
from pathlib import Path
from typing import Any

ANNOTATIONS = frozenset(
    {"id", "$schema", "title", "format", "media", "readOnly", "binaryEncoding", "definitions"}
)
VALIDATING = frozenset(
    {"type", "properties", "required", "additionalProperties", "pattern", "oneOf", "items", "$ref"}
)
TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}

Schema = dict[str, Any]


class UnsupportedSchema(ValueError):
    """The schema uses a keyword this validator does not implement."""


def schema_path(fmt: str) -> Path:
    """volatility3's schema file, found without importing `volatility3.schemas`: that import
    runs volatility3.framework.constants, which creates ~/.cache/volatility3, a write on the
    host that `memory isf` must not make (tests/onefile holds it)."""
    import volatility3

    return Path(volatility3.__file__).parent / "schemas" / f"schema-{fmt}.json"


class SchemaValidator:
    def __init__(self, schema: Schema) -> None:
        self._defs: dict[str, Schema] = schema.get("definitions", {})
        self._schema = schema
        self._patterns: dict[str, re.Pattern[str]] = {}
        # Verdicts of oneOf alternatives per (instance, alternative) object pair: an ISF shares
        # descriptor objects between fields, and the instance is not changed while validating.
        self._verdicts: dict[tuple[int, int], bool] = {}
        self._check_keywords(schema)

    def _check_keywords(self, node: Any) -> None:
        if isinstance(node, dict):
            unknown = set(node) - VALIDATING - ANNOTATIONS
            if unknown:
                raise UnsupportedSchema(f"schema keyword(s) not supported: {sorted(unknown)}")
            for key, value in node.items():
                if key in ("properties", "definitions"):
                    for sub in value.values():
                        self._check_keywords(sub)
                elif key in ("oneOf",):
                    for sub in value:
                        self._check_keywords(sub)
                elif key in ("items", "additionalProperties") and isinstance(value, dict):
                    self._check_keywords(value)

    def errors(self, instance: Any) -> list[str]:
        # ids are only stable while this instance is alive: verdicts never outlive the call.
        self._verdicts.clear()
        out: list[str] = []
        self._validate(instance, self._schema, "", out)
        return out

    def _resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            schema = self._defs[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def _valid(self, instance: Any, schema: Schema) -> bool:
        key = (id(instance), id(schema))
        verdict = self._verdicts.get(key)
        if verdict is None:
            probe: list[str] = []
            self._validate(instance, schema, "", probe, first_only=True)
            verdict = self._verdicts[key] = not probe
        return verdict

    def _validate(
        self, value: Any, schema: Schema, where: str, out: list[str], first_only: bool = False
    ) -> None:
        schema = self._resolve(schema)
        expected = schema.get("type")
        if expected is not None:
            kinds = TYPES[expected]
            if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
                out.append(f"{where or '/'}: {value!r:.60} is not of type {expected!r}")
                return
        pattern = schema.get("pattern")
        if pattern is not None and isinstance(value, str):
            compiled = self._patterns.get(pattern) or self._patterns.setdefault(
                pattern, re.compile(pattern)
            )
            if not compiled.search(value):
                out.append(f"{where}: {value!r:.60} does not match {pattern!r}")
                if first_only:
                    return
        if "oneOf" in schema:
            matches = sum(1 for sub in schema["oneOf"] if self._valid(value, sub))
            if matches != 1:
                out.append(f"{where}: {value!r:.80} matches {matches} of the oneOf alternatives")
                if first_only:
                    return
        if isinstance(value, dict):
            self._validate_object(value, schema, where, out, first_only)
        elif isinstance(value, list) and "items" in schema:
            for i, item in enumerate(value):
                self._validate(item, schema["items"], f"{where}/{i}", out, first_only)
                if first_only and out:
                    return

    def _validate_object(
        self, value: dict[str, Any], schema: Schema, where: str, out: list[str], first_only: bool
    ) -> None:
        for name in schema.get("required", ()):
            if name not in value:
                out.append(f"{where}: missing required property {name!r}")
                if first_only:
                    return
        properties: dict[str, Schema] = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            sub = properties.get(key)
            if sub is None:
                if extra is False:
                    out.append(f"{where}: unexpected property {key!r}")
                    if first_only:
                        return
                    continue
                if extra is True:
                    continue
                sub = extra
            self._validate(item, sub, f"{where}/{key}", out, first_only)
            if first_only and out:
                return


def validate_isf(isf: dict[str, Any]) -> list[str]:
    """Problems found by volatility3's schema for the ISF's format (empty: valid)."""
    fmt = isf.get("metadata", {}).get("format", "?") if isinstance(isf, dict) else "?"
    path = schema_path(str(fmt))
    if not path.exists():
        return [f"metadata/format: volatility3 has no schema for format {fmt!r}"]
    return SchemaValidator(json.loads(path.read_text())).errors(isf)
