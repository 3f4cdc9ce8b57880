"""Timeline writers for the tools analysts already use.

- JSONL in Timesketch's import format: `message`, `datetime` (ISO-8601, explicit +00:00),
  `timestamp_desc`, `timestamp` (microseconds), plus irkit's own columns.
- CSV with exactly the same columns.
- A Sleuth Kit bodyfile (`mactime -b`) of the collected files.

JSONL keeps host text lossless (`\\udcff` for a byte that is not UTF-8). CSV and the bodyfile
are read by tools and people, so there such bytes and control characters become visible
`\\xNN` text.
"""

import csv
import json
import re
import stat
from collections.abc import Iterable, Sequence
from typing import IO, Any

from irkit.console import neutralize
from irkit.evidence.records import FileRecord
from irkit.evidence.view import BundleView
from irkit.timeline.events import Event, executable_names, to_microseconds

FORMATS = ("jsonl", "csv", "bodyfile")

COLUMNS = (
    "datetime",
    "timestamp",
    "timestamp_desc",
    "message",
    "event_type",
    "host",
    "source_member",
    "pid",
    "path",
    "user",
    "record",
    "bundle_integrity",
)


def _first(record: dict[str, Any], *names: str) -> Any:
    for name in names:
        value = record.get(name)
        if value not in (None, ""):
            return value
    return None


def event_row(event: Event) -> dict[str, Any]:
    record = event.record
    detail = record.get("detail") if isinstance(record.get("detail"), dict) else {}
    return {
        "datetime": event.datetime,
        "timestamp": event.timestamp,
        "timestamp_desc": event.timestamp_desc,
        "message": event.message,
        "event_type": event.event_type,
        "host": event.host,
        "source_member": event.source_member,
        "pid": record.get("pid"),
        "path": _first(record, "path", "exe", "source") or (detail or {}).get("path"),
        "user": _first(record, "user", "owner"),
        "record": json.dumps(record, ensure_ascii=True, sort_keys=True, default=str),
        "bundle_integrity": event.bundle_integrity,
    }


def write_jsonl(events: Iterable[Event], out: IO[str]) -> int:
    count = 0
    for event in events:
        out.write(json.dumps(event_row(event), ensure_ascii=True) + "\n")
        count += 1
    return count


def write_csv(events: Iterable[Event], out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for event in events:
        row = event_row(event)
        writer.writerow(
            {k: spreadsheet_cell(v) if isinstance(v, str) else v for k, v in row.items()}
        )
        count += 1
    return count


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: control, bidi and zero-width characters
    escaped, and a leading `=`, `+`, `-` or `@` (a formula: `=cmd|' /C calc'!A0`) quoted
    with `'`, as OWASP advises."""
    text = neutralize(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


_BODY_SPECIAL = re.compile("[|%]")


def bodyfile_name(path: str) -> str:
    """mactime splits on `|` and decodes `%XX` in every field: `|` and `%` are written as %7C
    and %25 (mactime shows them as they were); control characters become visible `\\xNN`."""
    return _BODY_SPECIAL.sub(lambda m: f"%{ord(m.group()):02X}", neutralize(path))


UNKNOWN_TIME = "-1"
"""A time the bundle does not hold (no birth time from statx, an unreadable value): mactime
lists 0 as a 0000-00-00 row but leaves out a negative time. (Plaso reads -1 as 1969: the JSONL
timeline is the one for it.)"""


def _seconds(value: str | None) -> str:
    micros = to_microseconds(value)
    return UNKNOWN_TIME if micros is None else str(micros // 1_000_000)


def bodyfile_line(record: FileRecord, host: str, name: str | None = None) -> str:
    """One TSK 3 line; the name is `host:path` (mactime has no host column), `name` in place of
    the record's path where the file is better known by another (a recovered executable)."""
    fields = [
        "0",
        bodyfile_name(f"{host}:{record.path if name is None else name}"),
        "0",
        stat.filemode(record.mode),
        str(record.uid),
        str(record.gid),
        str(record.size),
        _seconds(record.atime),
        _seconds(record.mtime),
        _seconds(record.ctime),
        _seconds(record.crtime),
    ]
    return "|".join(fields)


def write_bodyfile(views: Sequence[BundleView], out: IO[str]) -> int:
    """One line per collected file (MD5 is 0: bundles record sha256, in the JSONL timeline),
    each name prefixed by its host. A file record that does not fit its type is skipped into
    the view's problems."""
    count = 0
    for view in views:
        executables = executable_names(view)
        for record in view.typed(FileRecord):
            name = executables.get(record.member)
            out.write(bodyfile_line(record, view.label, name) + "\n")
            count += 1
    return count
