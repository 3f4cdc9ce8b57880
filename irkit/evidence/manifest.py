"""The manifest: written last, it lists every member with its hash and where it came from."""

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from irkit.evidence.coverage import collecting_identity

MANIFEST_NAME = "manifest.json"
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

    def to_json(self) -> bytes:
        data = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "tool": {"name": "irkit", "version": self.tool_version},
            "command_line": self.command_line,
            "host": self.host,
            "started": self.started,
            "ended": self.ended,
            "complete": self.complete,
            "incomplete_reason": self.incomplete_reason,
            "members": [asdict(m) for m in self.members],
            "collected_by": self.collected_by,
        }
        return (json.dumps(data, indent=1, ensure_ascii=True) + "\n").encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "Manifest":
        data = json.loads(raw)
        if data.get("format") != FORMAT_NAME:
            raise ValueError(f"not an irkit manifest (format={data.get('format')!r})")
        return cls(
            tool_version=data["tool"]["version"],
            command_line=data["command_line"],
            host=data["host"],
            started=data["started"],
            ended=data["ended"],
            complete=data["complete"],
            incomplete_reason=data.get("incomplete_reason"),
            members=[MemberEntry(**m) for m in data["members"]],
            collected_by=data.get("collected_by"),
        )
