"""What a YARA match becomes: a bounded `YaraHit` record, and a `Finding` for the bundle.

A hit keeps a few matched strings (offset and a short excerpt) so a reviewer can see why a
rule fired without the bundle carrying megabytes of process memory.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from irkit.evidence.records import SEVERITIES, Finding, Record, severity_rank

MAX_STRINGS = 16
MAX_EXCERPT = 64
DEFAULT_SEVERITY = "medium"


@dataclass
class MatchedString:
    """One matched string instance; `offset` is a file offset, a virtual address (process)
    or an image offset, whatever the scanned target's address space is."""

    identifier: str
    offset: int
    length: int
    excerpt: str


@dataclass
class YaraHit(Record):
    """One rule that matched one target (a file, a process, a memory image)."""

    kind: ClassVar[str] = "yara-hit"
    rule: str
    namespace: str
    severity: str
    description: str
    target: str
    target_kind: str
    tags: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    strings: list[MatchedString] = field(default_factory=list)
    matches: int = 0
    pid: int | None = None
    path: str | None = None

    @property
    def mitre(self) -> list[str]:
        return split_mitre(self.meta.get("mitre"))

    def add_strings(self, strings: Iterable[MatchedString]) -> None:
        """Merge instances found in another chunk; keeps at most MAX_STRINGS, counts all."""
        for instance in strings:
            self.matches += 1
            if len(self.strings) < MAX_STRINGS:
                self.strings.append(instance)


def excerpt(data: bytes) -> str:
    """Printable ASCII kept, everything else as `\\xNN`; bounded."""
    head = data[:MAX_EXCERPT]
    text = "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02x}" for b in head)
    return text + ("..." if len(data) > MAX_EXCERPT else "")


def split_mitre(value: object) -> list[str]:
    if not value:
        return []
    return [part for part in str(value).replace(",", " ").split() if part]


def rule_severity(meta: dict[str, Any]) -> str:
    severity = str(meta.get("severity", DEFAULT_SEVERITY)).lower()
    return severity if severity in SEVERITIES else DEFAULT_SEVERITY


def at_least(hits: Iterable[YaraHit], severity: str) -> list[YaraHit]:
    floor = severity_rank(severity)
    return [hit for hit in hits if severity_rank(hit.severity) >= floor]


def hit_to_finding(hit: YaraHit, *, evidence: list[str] | None = None) -> Finding:
    """The finding a hit becomes in a bundle; `evidence` names the members it rests on."""
    shown = ", ".join(f"{s.identifier}@{s.offset:#x} '{s.excerpt}'" for s in hit.strings[:4])
    reasons = [hit.description or f"YARA rule {hit.rule} matched"]
    if shown:
        reasons.append(f"matched {hit.matches} string(s): {shown}")
    return Finding(
        title=f"YARA {hit.rule} on {hit.target_kind} {hit.target}",
        severity=hit.severity,
        source="yara",
        reasons=reasons,
        pid=hit.pid,
        path=hit.path,
        rule=f"{hit.namespace}.{hit.rule}" if hit.namespace else hit.rule,
        mitre=hit.mitre,
        evidence=list(evidence or []),
    )


def hits_to_findings(hits: Iterable[YaraHit]) -> list[Finding]:
    return [hit_to_finding(hit) for hit in hits]
