"""The manifest: written last, it lists every member with its hash and where it came from."""

import json
from dataclasses import dataclass, field, fields
from typing import Any

from irkit.evidence.coverage import collecting_identity
from irkit.evidence.records import plain_value
from irkit.evidence.safejson import parse_json

MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.json.sig"
"""The SSH signature over manifest.json's bytes, written after it (docs/bundle-format.md)."""
SEALING_NAMES = frozenset({MANIFEST_NAME, SIGNATURE_NAME})
"""Members the manifest cannot list: itself, and what is made from it."""
COMMENT_PREFIX = "irkit manifest sha256 "
"""The zip comment: this prefix and the manifest's sha256 (`unzip -z` shows it)."""
LOG_NAME = "collection.log"
FILES_RECORDS_NAME = "records/files.jsonl"
FORMAT_NAME = "irkit-bundle"
FORMAT_VERSION = 1


@dataclass
class MemberEntry:
    name: str
    sha256: str
    size: int
    source: str | None
    collector: str
    acquired: str
    partial: bool = False


@dataclass
class Manifest:
    tool_version: str
    command_line: list[str]
    host: dict[str, Any]
    started: str
    ended: str
    complete: bool
    incomplete_reason: str | None
    members: list[MemberEntry] = field(default_factory=list)
    collected_by: dict[str, Any] | None = field(default_factory=collecting_identity)
    """uid, euid, gid, CapEff and `privileged` of the process that sealed the bundle (the one
    that collected it); a manifest read back keeps what it says, or None for older bundles."""
    custody: dict[str, Any] | None = None
    """`signed_by` (the signing key's fingerprint, or null) and `encrypted_to` (recipients):
    a signature stripped from a bundle whose manifest names its signer is INVALID."""

    def to_json(self) -> bytes:
        """`json.dumps(manifest, indent=1)`, made without the indenting encoder's token list
        or a copy of the text per step: with 10,000 members those, not the text, were the
        peak memory of the whole collection. Each member, a flat object of leaves, is
        encoded by the C encoder with the separators `indent=1` gives at its depth."""
        head = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "tool": {"name": "irkit", "version": self.tool_version},
            "command_line": self.command_line,
            "host": self.host,
            "started": self.started,
            "ended": self.ended,
            "complete": self.complete,
            "incomplete_reason": self.incomplete_reason,
        }
        tail = {"collected_by": self.collected_by, "custody": self.custody}
        text = bytearray(json.dumps(head, indent=1)[:-2].encode())
        text += b',\n "members": ['
        for n, member in enumerate(self.members):
            inner = json.dumps(plain_value(member), separators=(",\n   ", ": "))[1:-1]
            text += ("," if n else "").encode() + b"\n  {\n   " + inner.encode() + b"\n  }"
        text += b"\n ]" if self.members else b"]"
        text += b",\n" + json.dumps(tail, indent=1)[2:].encode() + b"\n"
        return bytes(text)

    @classmethod
    def from_json(cls, raw: bytes) -> "Manifest":
        """Parse a manifest read from a bundle (hostile input): every known key is type-checked
        and a wrong one is a ValueError naming it; unknown keys are ignored, so a manifest
        written by a newer irkit still reads."""
        data = _object(parse_json(raw), "the manifest")
        if data.get("format") != FORMAT_NAME:
            raise ValueError(f"not an irkit manifest (format={data.get('format')!r:.80})")
        tool = _object(data.get("tool"), "tool")
        members = data.get("members")
        if not isinstance(members, list):
            raise ValueError("members is not a list")
        known = {
            "tool_version": _typed(tool, "version", str, "tool.version"),
            "command_line": _strings(data.get("command_line"), "command_line"),
            "host": _object(data.get("host"), "host"),
            "started": _typed(data, "started", str),
            "ended": _typed(data, "ended", str),
            "complete": _typed(data, "complete", bool),
            "incomplete_reason": _typed(data, "incomplete_reason", str | None),
            "members": [_member(m, i) for i, m in enumerate(members)],
            "collected_by": _typed(data, "collected_by", dict | None),
            "custody": _custody(data.get("custody")),
        }
        later = {f.name: data[f.name] for f in fields(cls) if f.name in data.keys() - known}
        return cls(**known, **later)


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not a JSON object")
    return value


def _typed(data: dict[str, Any], key: str, kind: Any, what: str | None = None) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{what or key} is missing or not of the right type")
    return value


def _custody(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    custody = _object(value, "custody")
    _typed(custody, "signed_by", str | None, "custody.signed_by")
    _strings(custody.get("encrypted_to", []), "custody.encrypted_to")
    return custody


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} is not a list of strings")
    return value


def _member(value: Any, index: int) -> MemberEntry:
    where = f"members[{index}]"
    entry = _object(value, where)
    size = _typed(entry, "size", int, f"{where}.size")
    if size < 0:
        raise ValueError(f"{where}.size is negative")
    return MemberEntry(
        name=_typed(entry, "name", str, f"{where}.name"),
        sha256=_typed(entry, "sha256", str, f"{where}.sha256"),
        size=size,
        source=_typed(entry, "source", str | None, f"{where}.source"),
        collector=_typed(entry, "collector", str, f"{where}.collector"),
        acquired=_typed(entry, "acquired", str, f"{where}.acquired"),
        partial=entry.get("partial") is True,
    )
