"""Record types shared across collectors, hunts and analysis.

Every record is a dataclass with a class-level `kind`; it is written as one
JSON object per line with a `type` field naming that kind. Collector-specific
record types live beside their collector; the ones here are used everywhere.
"""

import json
from dataclasses import dataclass, field, fields, is_dataclass
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any, ClassVar


@dataclass
class Record:
    kind: ClassVar[str] = "record"

    def to_dict(self) -> dict[str, Any]:
        data = plain_value(self)
        data["type"] = self.kind
        return data


_LEAVES = frozenset({str, int, float, bool, type(None)})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_ENCODER = json.JSONEncoder(ensure_ascii=True, default=str)
"""One encoder for every record line: `json.dumps` with options builds a new one per call, a
third of the cost of a small record's line."""
_C_ENCODE = (
    None
    if c_make_encoder is None
    else c_make_encoder(None, str, encode_basestring_ascii, None, ": ", ", ", False, False, True)
)
"""`_ENCODER`'s own C encoder, made once: `encode` makes one per call (and a float formatter
in Python), 0.9 of a small record's 2.9 us. The options are `_ENCODER`'s: default=str,
ASCII, `: ` and `, `, keys unsorted, NaN allowed; no circular check (records are trees)."""


def plain_value(value: Any) -> Any:
    """What dataclasses.asdict gives for record values (nested records, lists, dicts),
    without its deep copy of every leaf: a snapshot of thousands of processes spent
    more time in asdict than in reading /proc. The field names of each record class are
    looked up once (dataclasses.fields on every value was most of a 10,000-file collection's
    serialising time)."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    if isinstance(value, list | tuple):
        return [plain_value(item) for item in value]
    if isinstance(value, dict):
        return {key: plain_value(item) for key, item in value.items()}
    names = _field_names(kind)
    if names is None:
        return value
    plain = {}
    for name in names:  # most fields are leaves: no call for them (a quarter of the time)
        item = getattr(value, name)
        plain[name] = item if type(item) in _LEAVES else plain_value(item)
    return plain


def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None for any other type), cached by class."""
    names = _FIELD_NAMES.get(kind)
    if names is None and is_dataclass(kind):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind))
    return names


def dumps_json(value: dict[str, Any]) -> str:
    """One JSON line; ensure_ascii keeps surrogate-escaped host bytes valid JSON."""
    if _C_ENCODE is None:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


def dumps_record(record: Record) -> str:
    """A record as one JSON line (`dumps_json`)."""
    return dumps_json(record.to_dict())


@dataclass
class FileRecord(Record):
    """A file copied from the host, with the metadata it had when it was read."""

    kind: ClassVar[str] = "file"
    path: str
    """host path (lossless)"""
    member: str
    """where the copy is in the bundle"""
    collector: str
    """who copied it"""
    sha256: str | None
    """of the **whole original**, never of a cut copy: a copy cut at a cap is hashed on past
    the cap, up to the `hash_bytes` limit; null when the original could not be read whole
    (`not_hashed` says why). The member's own hash is in the manifest"""
    size: int
    """bytes copied into the member"""
    mode: int
    """`st_mode` from `fstat` of the open file"""
    uid: int
    """owner uid (`fstat`)"""
    gid: int
    """group gid (`fstat`)"""
    mtime: str
    """content modification time (`fstat`)"""
    atime: str
    """last access time (`fstat`)"""
    ctime: str
    """inode change time (`fstat`)"""
    crtime: str | None = None
    """birth time (statx `STATX_BTIME` of the open file); null when the kernel or the
    filesystem does not report it"""
    partial: bool = False
    """the member is not the whole original (its manifest entry is `partial` too)"""
    partial_reason: str | None = None
    """why: `cut at the executable_bytes cap (N bytes)`, a read error, `the file shrank while
    read`, an interrupt"""
    cap: str | None = None
    """the `limits:` option that cut the copy, if one did"""
    original_size: int | None = None
    """bytes of the original: counted when it was read whole, else what `stat` said (null for
    /proc files)"""
    not_hashed: str | None = None
    """why `sha256` is null: `larger than the hash_bytes cap (N bytes)`, a read error"""


@dataclass
class Finding(Record):
    """Something suspicious, with why it matters and the evidence it rests on."""

    kind: ClassVar[str] = "finding"
    title: str
    severity: str
    source: str
    reasons: list[str] = field(default_factory=list)
    pid: int | None = None
    path: str | None = None
    socket: str | None = None
    rule: str | None = None
    mitre: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    time: str | None = None


SEVERITIES = ("info", "low", "medium", "high", "critical")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0
