"""A bundle loaded for analysis: its records (each with the member it came from), its log,
its member list and what is known of its integrity.

Two sources give the same view: a sealed bundle read back (review, timeline export) and a
writer that is still open (the report written into a bundle before the manifest seals it),
so the timeline and the report are built by one code path whatever their input.

A view holds what its source holds, not a copy: a writer's records stay its `Record`
objects and each one's dict is made when it is read (`SourcedRecord.data`), so the report of
a collection of 60,000 records does not hold a second 60,000 dicts beside them.
"""

import bisect
import itertools
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

from irkit.evidence.coverage import collecting_identity
from irkit.evidence.log import LogEntry
from irkit.evidence.manifest import FILES_RECORDS_NAME, MemberEntry
from irkit.evidence.reader import BundleError, BundleReader, MemberError
from irkit.evidence.records import Record, plain_value
from irkit.evidence.typed import R, typed_records
from irkit.evidence.writer import EvidenceWriter

IOCS_MEMBER = "iocs.json"

RecordLike = Record | Mapping[str, Any]
NOT_INTACT_PROBLEMS = 3
"""How many problems a NOT INTACT banner names (the report's integrity section has them all)."""


def record_type(record: RecordLike) -> str:
    """A record's type, read without making its dict ("record" when a bundle's line has none)."""
    if isinstance(record, Record):
        return record.kind or "record"
    value = record.get("type")
    return value if isinstance(value, str) and value else "record"


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _field_names(kind: type[Record]) -> frozenset[str]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = frozenset(f.name for f in fields(kind))
    return names


def record_dict(record: RecordLike) -> dict[str, Any]:
    """A record as the dict it is written as (a dict read from a bundle is itself)."""
    if isinstance(record, Record):
        return record.to_dict()
    return record if isinstance(record, dict) else dict(record)


class SourcedRecord:
    """One record and the member it is in; its dict is made each time `data` is read."""

    __slots__ = ("member", "source")

    def __init__(self, member: str, source: RecordLike) -> None:
        self.member = member
        self.source = source

    @property
    def data(self) -> dict[str, Any]:
        return record_dict(self.source)

    @property
    def type(self) -> str:
        return record_type(self.source)

    def get(self, name: str) -> Any:
        """`data.get(name)` without making the dict (a time, a path to look up)."""
        source = self.source
        if not isinstance(source, Record):
            return source.get(name)
        return RecordFields(source).get(name)


_ABSENT = object()


class RecordFields(Mapping[str, Any]):
    """A writer's record read as the dict it is written as, one field at a time: a triage
    reads a few fields of each of 50,000 persistence entries in several passes (its hunts'
    targets, the miner configs, the analysis), and a dict of every record held beside the
    records was a third of its peak memory. A field is `to_dict`'s value for it, made when
    read; `items()` makes the whole dict (the analysis' type check), for that record alone."""

    __slots__ = ("record",)

    def __init__(self, record: Record) -> None:
        self.record = record

    def get(self, name: str, default: Any = None) -> Any:
        record = self.record
        if name == "type":
            return record.kind
        names = _FIELD_NAMES.get(type(record))  # inlined `_field_names`: 1.2 million calls
        if name not in (_field_names(type(record)) if names is None else names):
            return default
        return plain_value(getattr(record, name))

    def __getitem__(self, name: str) -> Any:
        value = self.get(name, _ABSENT)
        if value is _ABSENT:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self.record.to_dict())

    def __len__(self) -> int:
        return len(self.record.to_dict())

    def items(self) -> ItemsView[str, Any]:
        return self.record.to_dict().items()


T = TypeVar("T")
D = TypeVar("D")


def _snapshot(items: Sequence[T]) -> Sequence[T]:
    """`items` as they are now, without a copy: a writer's lists only grow, so their first
    `len(items)` entries are what the view was made of."""
    return items if isinstance(items, tuple) else _Prefix(items, len(items))


class _Prefix(Sequence[T]):
    __slots__ = ("_items", "_length")

    def __init__(self, items: Sequence[T], length: int) -> None:
        self._items = items
        self._length = length

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        if isinstance(index, slice):
            return [self._items[n] for n in range(*index.indices(self._length))]
        if not -self._length <= index < self._length:
            raise IndexError(index)
        return self._items[index % self._length]

    def __iter__(self) -> Iterator[T]:
        return itertools.islice(self._items, self._length)


class Records(Sequence[SourcedRecord]):
    """A bundle's records member by member, as their source holds them (the writer's
    `Record` lists, the reader's dicts): an item is made when it is read."""

    def __init__(self, groups: Iterable[tuple[str, Sequence[RecordLike]]] = ()) -> None:
        self._groups: list[tuple[str, Sequence[RecordLike]]] = []
        self._starts: list[int] = []
        self._length = 0
        for member, items in groups:
            self._add(member, items)

    def _add(self, member: str, items: Sequence[RecordLike]) -> None:
        items = _snapshot(items)
        if items:
            self._groups.append((member, items))
            self._starts.append(self._length)
            self._length += len(items)

    def __iadd__(self, items: Iterable[SourcedRecord]) -> "Records":
        for item in items:
            self._add(item.member, (item.source,))
        return self

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> SourcedRecord: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[SourcedRecord]: ...
    def __getitem__(self, index: int | slice) -> SourcedRecord | Sequence[SourcedRecord]:
        if isinstance(index, slice):
            return [self[n] for n in range(*index.indices(self._length))]
        if not -self._length <= index < self._length:
            raise IndexError(index)
        index %= self._length
        group = bisect.bisect_right(self._starts, index) - 1
        member, items = self._groups[group]
        return SourcedRecord(member, items[index - self._starts[group]])

    def __iter__(self) -> Iterator[SourcedRecord]:
        for member, items in self._groups:
            for record in items:
                yield SourcedRecord(member, record)

    def types(self) -> Iterator[str]:
        """Each record's type, in order, without making an item or a dict."""
        for _, items in self._groups:
            yield from map(record_type, items)

    def of_type(self, kind: str) -> Iterator[dict[str, Any]]:
        """The dicts of the records of type `kind`, in order (no other record is made)."""
        for _, items in self._groups:
            yield from (record_dict(r) for r in items if record_type(r) == kind)


class Dicts(Sequence[D], Generic[T, D]):
    """Entries (log entries, manifest members; a triage's records as `RecordFields`) as dicts
    or mappings, each made when it is read."""

    __slots__ = ("_convert", "_items")

    def __init__(self, items: Sequence[T], convert: Callable[[T], D]) -> None:
        self._items = _snapshot(items)
        self._convert = convert

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> D: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[D]: ...
    def __getitem__(self, index: int | slice) -> D | Sequence[D]:
        if isinstance(index, slice):
            return [self._convert(item) for item in self._items[index]]
        return self._convert(self._items[index])

    def __iter__(self) -> Iterator[D]:
        return map(self._convert, self._items)


@dataclass
class Integrity:
    """What is known about the bundle's integrity when the view was made."""

    sealed: bool
    manifest_sha256: str | None = None
    bundle_sha256: str | None = None
    verified: bool | None = None
    problems: list[str] = field(default_factory=list)
    complete: bool | None = None
    incomplete_reason: str | None = None
    signature: str | None = None
    """What verify found of the signature ("unsigned", "signed by ...", "INVALID: ...")."""
    signature_state: str | None = None
    """valid, invalid, unsigned or untrusted (irkit.custody.signing.SignatureState)."""
    signed_by: str | None = None
    encrypted: bool = False

    @property
    def state(self) -> str:
        """`intact`, `NOT INTACT`, or `unverified` (a view made without verifying)."""
        if self.verified is None:
            return "unverified"
        return "intact" if self.verified else "NOT INTACT"


def not_intact_banner(bundle: str, integrity: Integrity) -> str | None:
    """`NOT INTACT: <bundle>: <first problems>` when verification failed, else None: every
    output of an --allow-not-intact review or timeline carries it."""
    if integrity.verified is not False:
        return None
    listed = "; ".join(integrity.problems[:NOT_INTACT_PROBLEMS]) or "verification failed"
    more = len(integrity.problems) - NOT_INTACT_PROBLEMS
    return f"NOT INTACT: {bundle}: {listed}" + (f"; and {more} more" if more > 0 else "")


@dataclass
class BundleView:
    label: str
    records: Records
    log: Sequence[dict[str, Any]]
    members: Sequence[dict[str, Any]]
    integrity: Integrity
    host: dict[str, Any] = field(default_factory=dict)
    started: str | None = None
    ended: str | None = None
    iocs: Any = None
    path: str | None = None
    problems: list[str] = field(default_factory=list)
    """Lines of the bundle that could not be read (named by member and line)."""
    collected_by: dict[str, Any] | None = None
    """The manifest's `collected_by`: uid, euid, gid, capabilities, privileged."""

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return list(self.records.of_type(kind))

    def typed(self, cls: type[R], where: Callable[[dict[str, Any]], bool] | None = None) -> list[R]:
        """The `cls.kind` records (those `where` picks) as `cls`; one that does not fit is a
        line in `problems` (once, however often the view is asked)."""
        items = [r for r in self.of_type(cls.kind) if where is None or where(r)]
        skipped: list[str] = []
        found = list(typed_records(items, cls, skipped, self.label))
        known = set(self.problems)
        self.problems += [line for line in skipped if line not in known]
        return found

    @property
    def not_intact_banner(self) -> str | None:
        return not_intact_banner(self.path or self.label, self.integrity)

    def member_acquired(self) -> dict[str, str]:
        return {m["name"]: m.get("acquired", "") for m in self.members}


def not_intact_banners(views: Sequence[BundleView]) -> list[str]:
    return [banner for view in views if (banner := view.not_intact_banner)]


def _log_dict(entry: LogEntry | Mapping[str, Any]) -> dict[str, Any]:
    return entry.to_dict() if isinstance(entry, LogEntry) else dict(entry)


def _member_dict(entry: MemberEntry | Mapping[str, Any]) -> dict[str, Any]:
    """What `dataclasses.asdict` gives (every field is a leaf), without its deep copy."""
    return dict(plain_value(entry)) if isinstance(entry, MemberEntry) else dict(entry)


def _label(host: Mapping[str, Any], fallback: str) -> str:
    name = host.get("hostname")
    return str(name) if name else fallback


def view_from_parts(
    records: Mapping[str, Sequence[RecordLike]],
    *,
    log: Sequence[LogEntry | Mapping[str, Any]] = (),
    members: Sequence[MemberEntry | Mapping[str, Any]] = (),
    host: Mapping[str, Any] | None = None,
    started: str | None = None,
    iocs: Any = None,
    label: str | None = None,
    collected_by: dict[str, Any] | None = None,
) -> BundleView:
    """A view of a bundle that is not sealed yet: records by the member they are written to."""
    host = dict(host or {})
    return BundleView(
        label=label or _label(host, "unsealed bundle"),
        records=Records(records.items()),
        log=Dicts(log, _log_dict),
        members=Dicts(members, _member_dict),
        integrity=Integrity(sealed=False),
        host=host,
        started=started,
        iocs=iocs,
        collected_by=collected_by,
    )


def view_from_writer(
    writer: EvidenceWriter,
    records: Mapping[str, Sequence[RecordLike]],
    *,
    iocs: Any = None,
) -> BundleView:
    """The view of an open writer: `records` are those already written (by member name);
    the copied files' records, still held by the writer, are added as records/files.jsonl."""
    everything = dict(records)
    everything.setdefault(FILES_RECORDS_NAME, writer.file_records())
    view = view_from_parts(
        everything,
        log=writer.log.entries,
        members=writer.members,
        host=writer.host,
        started=writer.started,
        iocs=iocs,
        collected_by=collecting_identity(),
    )
    custody = writer.custody
    if custody.sign is not None:
        view.integrity.signature = f"to be signed at sealing by {custody.signed_by}"
        view.integrity.signed_by = custody.signed_by
    view.integrity.encrypted = bool(custody.encrypted_to)
    return view


def _read_iocs(reader: BundleReader, problems: list[str]) -> Any:
    if IOCS_MEMBER not in reader.names():
        return None
    try:
        return reader.read_json(IOCS_MEMBER)
    except MemberError as exc:
        problems.append(str(exc))
        return None


def view_from_reader(reader: BundleReader, integrity: Integrity | None = None) -> BundleView:
    """Load a sealed bundle through the hardened reader: whatever cannot be read (a bad
    manifest, line or member, a cap hit) is listed in `problems`, never raised."""
    problems: list[str] = []
    try:
        manifest = reader.manifest
    except BundleError as exc:
        problems.append(str(exc))
        manifest = None
    records = Records(
        (name, list(reader.json_lines(name, problems))) for name in reader.record_members()
    )
    log = reader.log_entries()
    problems += reader.problems
    host = dict(manifest.host) if manifest else {}
    if integrity is None:
        integrity = Integrity(sealed=manifest is not None)
    if manifest is not None:
        integrity.complete = manifest.complete
        integrity.incomplete_reason = manifest.incomplete_reason
    return BundleView(
        label=_label(host, Path(reader.path).name),
        records=records,
        log=log,
        members=Dicts(manifest.members if manifest else [], _member_dict),
        integrity=integrity,
        host=host,
        started=manifest.started if manifest else None,
        ended=manifest.ended if manifest else None,
        iocs=_read_iocs(reader, problems),
        path=str(reader.path),
        problems=problems,
        collected_by=manifest.collected_by if manifest else None,
    )
