"""One bundle, verified and turned into table rows: the work each indexing process does.

The bundle is verified by the verify code (`verify_bundle`) and read only through the hardened
`BundleReader` (`view_from_reader`), so the archive trusts a bundle exactly as `irkit verify`
does and reads it within the same caps. Values are made fit for DuckDB here: host text that is
not UTF-8 becomes visible `\\xNN` text in the typed columns (the `records` table keeps each
record losslessly as JSON text), numbers outside 64 bits and unreadable times become NULL.
"""

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from irkit.analysis.verdict import judge
from irkit.archive.schema import BOOL, BUNDLES, INT, RECORD_TABLES, TEXT, TEXTS, TIME
from irkit.evidence.reader import CHUNK, BundleError, BundleReader
from irkit.evidence.verify import VerifyReport, verify_bundle
from irkit.evidence.view import BundleView, view_from_reader
from irkit.lossless import utf8_text
from irkit.review.bundles import integrity_of
from irkit.timeline.events import EPOCH, ONE_MICROSECOND, bundle_events, to_microseconds
from irkit.timeutil import utc_now_iso

INT64 = 1 << 63
NAIVE_EPOCH = EPOCH.replace(tzinfo=None)
TABLE_OF_TYPE = {
    "process": "processes",
    "socket": "sockets",
    "persistence": "persistence",
    "finding": "findings",
    "ioc": "iocs",
    "yara-hit": "hunts",
}
"""Which typed table a record type also goes to (every record goes to `records`)."""
FIELD_FALLBACKS = {"ioc_type": "kind"}
"""The record field read for a column when its own is missing (older IOC records say `kind`)."""
ENCODE = json.JSONEncoder(ensure_ascii=True, default=str, check_circular=False).encode
"""A record as JSON text for `records`, the encoder built once (a record parsed from JSON
cannot refer to itself, so the circularity check is skipped)."""

Row = tuple[Any, ...]


@dataclass
class LoadedBundle:
    """What one bundle gives the index: its `bundles` row and its rows per record table."""

    bundle: dict[str, Any]
    rows: dict[str, list[Row]] = field(default_factory=dict)

    def bundle_row(self) -> Row:
        return tuple(self.bundle.get(c.name) for c in BUNDLES)


def text(value: Any) -> str | None:
    """Host text as valid UTF-8 (DuckDB refuses lone surrogates); a list is joined by spaces
    (a command line), any other structure is written as JSON."""
    if isinstance(value, str):  # first: nearly every value is
        return value if value.isascii() else utf8_text(value)
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return utf8_text(" ".join(value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=True, sort_keys=True)
    return str(value)


def integer(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and -INT64 <= value < INT64:
        return value
    return None


def timestamp(value: Any) -> datetime | None:
    """A record's time (ISO-8601 or epoch seconds) as a naive UTC datetime, else None."""
    micros = to_microseconds(value)
    return None if micros is None else micros_to_datetime(micros)


def micros_to_datetime(micros: int) -> datetime:
    """Naive UTC (DuckDB's TIMESTAMP), added to a naive epoch: no time zone to drop per value."""
    return NAIVE_EPOCH + micros * ONE_MICROSECOND


def _texts(value: Any) -> list[str | None]:
    return [text(item) for item in value] if isinstance(value, list) else []


def _boolean(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    INT: integer,
    TIME: timestamp,
    BOOL: _boolean,
    TEXTS: _texts,
    TEXT: text,
}
"""How a record's value becomes a column's, by the column's type."""
FIELDS: dict[str, list[tuple[str, str | None, Callable[[Any], Any]]]] = {
    table: [(c.name, FIELD_FALLBACKS.get(c.name), CONVERTERS[c.type]) for c in columns]
    for table, columns in RECORD_TABLES.items()
}
"""Per typed table, each column's record field, fallback field and converter, worked out once
(a row is built for every record: this loop is the indexer's innermost)."""


def _typed_row(record: dict[str, Any], table: str) -> Row:
    get = record.get
    return tuple(
        [
            convert(value if (value := get(name)) is not None or not fallback else get(fallback))
            for name, fallback, convert in FIELDS[table]
        ]
    )


def _identity(collected_by: dict[str, Any] | None) -> str | None:
    if not collected_by:
        return None
    who = f"uid {collected_by.get('uid')} euid {collected_by.get('euid')}"
    return who + (" privileged" if collected_by.get("privileged") else " unprivileged")


def file_identity(path: Path) -> tuple[int, int]:
    """(size, mtime in ns): how an unchanged bundle is recognised without reading it again."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def _refused(path: Path, reason: str) -> LoadedBundle:
    """A file that is no readable bundle: indexed as such (its id is its sha256, or its path
    when it cannot even be read), with no records."""
    sha = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                sha.update(chunk)
        bundle_id = sha.hexdigest()
    except OSError:
        bundle_id = f"unreadable {text(str(path))}"
    return LoadedBundle(
        {"bundle_id": bundle_id, "path": text(str(path)), "intact": False, "refused": text(reason)}
    )


def _bundle_fields(path: Path, report: VerifyReport, view: BundleView) -> dict[str, Any]:
    findings = view.of_type("finding")
    judgement = judge(findings)
    signature = report.signature
    return {
        "bundle_id": report.bundle_sha256,
        "path": text(str(path)),
        "host": text(view.host.get("hostname") or view.label),
        "machine_id": text(view.host.get("machine_id")),
        "collected_at": timestamp(view.started),
        "ended_at": timestamp(view.ended),
        "collected_by": _identity(view.collected_by),
        "intact": report.intact,
        "refused": text(report.refused),
        "problems": [text(f"{p.member}: {p.problem}") for p in report.problems],
        "complete": report.complete,
        "incomplete_reason": text(report.incomplete_reason),
        "signature": signature.state.value if signature else None,
        "signed_by": text(signature.fingerprint) if signature else None,
        "manifest_sha256": report.manifest_sha256,
        "verdict": judgement.verdict,
        "verdict_reason": text(judgement.reason),
        "records": len(view.records),
        "unreadable": [text(problem) for problem in view.problems],
    }


def _record_rows(view: BundleView, common: Row) -> dict[str, list[Row]]:
    rows: dict[str, list[Row]] = {name: [] for name in RECORD_TABLES}
    heads = {member: (*common, text(member)) for member in {item.member for item in view.records}}
    records = rows["records"]
    for item in view.records:
        head, kind = heads[item.member], item.type
        records.append((*head, text(kind), ENCODE(item.data)))
        table = TABLE_OF_TYPE.get(kind)
        if table is not None:
            rows[table].append(head + _typed_row(item.data, table))
    for event in bundle_events(view):
        rows["events"].append(
            (
                *common,
                text(event.source_member),
                micros_to_datetime(event.timestamp),
                text(event.timestamp_desc),
                text(event.event_type),
                text(event.message),
            )
        )
    return rows


def load_bundle(
    path: Path, *, intact_only: bool = False, trusted: set[bytes] | None = None
) -> LoadedBundle:
    """Verify the bundle at `path` and turn it into rows. A bundle that is not intact is
    loaded with `trusted` false on every row (none with `intact_only`); a file that is no
    bundle at all gives its `bundles` row only. Never raises for what the file holds."""
    identity: dict[str, int] = {}
    try:
        identity["file_size"], identity["file_mtime_ns"] = file_identity(path)
        report = verify_bundle(path, trusted)
        with BundleReader(path) as reader:
            view = view_from_reader(reader, integrity_of(report))
    except (BundleError, OSError) as exc:
        loaded = _refused(path, str(exc))
    else:
        loaded = LoadedBundle(_bundle_fields(path, report, view))
        if report.intact or not intact_only:
            bundle = loaded.bundle
            common = (bundle["bundle_id"], bundle["host"], report.intact, bundle["collected_at"])
            loaded.rows = _record_rows(view, common)
    loaded.bundle |= identity  # a refused file too: the next index does not read it again
    loaded.bundle["indexed_at"] = timestamp(utc_now_iso())
    return loaded
