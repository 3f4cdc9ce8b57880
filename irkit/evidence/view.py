"""A bundle loaded for analysis: its records (each with the member it came from), its log,
its member list and what is known of its integrity.

Two sources give the same view: a sealed bundle read back (review, timeline export) and a
writer that is still open (the report written into a bundle before the manifest seals it),
so the timeline and the report are built by one code path whatever their input.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from irkit.evidence.coverage import collecting_identity
from irkit.evidence.log import LogEntry
from irkit.evidence.manifest import FILES_RECORDS_NAME, MemberEntry
from irkit.evidence.reader import BundleError, BundleReader, MemberError
from irkit.evidence.records import Record
from irkit.evidence.typed import R, typed_records
from irkit.evidence.writer import EvidenceWriter

IOCS_MEMBER = "iocs.json"

RecordLike = Record | Mapping[str, Any]
NOT_INTACT_PROBLEMS = 3
"""How many problems a NOT INTACT banner names (the report's integrity section has them all)."""


@dataclass
class SourcedRecord:
    member: str
    data: dict[str, Any]

    @property
    def type(self) -> str:
        value = self.data.get("type")
        return value if isinstance(value, str) and value else "record"


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
    records: list[SourcedRecord]
    log: list[dict[str, Any]]
    members: list[dict[str, Any]]
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
        return [r.data for r in self.records if r.type == kind]

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


def _as_dict(record: RecordLike) -> dict[str, Any]:
    return record.to_dict() if isinstance(record, Record) else dict(record)


def _log_dict(entry: LogEntry | Mapping[str, Any]) -> dict[str, Any]:
    return entry.to_dict() if isinstance(entry, LogEntry) else dict(entry)


def _member_dict(entry: MemberEntry | Mapping[str, Any]) -> dict[str, Any]:
    return asdict(entry) if isinstance(entry, MemberEntry) else dict(entry)


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
        records=[
            SourcedRecord(member, _as_dict(record))
            for member, items in records.items()
            for record in items
        ],
        log=[_log_dict(e) for e in log],
        members=[_member_dict(m) for m in members],
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
    records = [
        SourcedRecord(name, record)
        for name in reader.record_members()
        for record in reader.json_lines(name, problems)
    ]
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
        members=[asdict(m) for m in manifest.members] if manifest else [],
        integrity=integrity,
        host=host,
        started=manifest.started if manifest else None,
        ended=manifest.ended if manifest else None,
        iocs=_read_iocs(reader, problems),
        path=str(reader.path),
        problems=problems,
        collected_by=manifest.collected_by if manifest else None,
    )
