"""The self-contained HTML report: one file, inline CSS and JS, no network, opens from file://.

Everything from the host is attacker-controlled. It reaches the page two ways only: through
jinja2 with autoescape on, and inside one JSON data block whose `<`, `>` and `&` are written
as `\\u003c`-style escapes (so neither `</script>` nor `<!--` can end the block); the page's
script renders that data with `textContent`, never as markup. A Content-Security-Policy with a
per-report nonce blocks any other script, and every fetch, as a second line of defence.
"""

import itertools
import json
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from irkit import __version__
from irkit.console import neutralize
from irkit.evidence.reader import BundleReader
from irkit.evidence.records import Record
from irkit.evidence.view import (
    BundleView,
    Integrity,
    RecordLike,
    not_intact_banners,
    view_from_reader,
    view_from_writer,
)
from irkit.evidence.writer import EvidenceWriter
from irkit.report.custody import custody_data
from irkit.report.incident import Incident, build_incident, is_serious
from irkit.report.jsondoc import integrity_data, summary_head
from irkit.report.summary import Summary, summarize
from irkit.timeline.events import Event, build_timeline
from irkit.timeutil import utc_now_iso

REPORT_MEMBER = "report.html"
SECTION_TYPES = ("process", "socket", "persistence", "finding", "ioc", "verdict")


def _asset(name: str) -> str:
    return (resources.files("irkit") / "data" / "report" / name).read_text(encoding="utf-8")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["show"] = lambda value: neutralize("" if value is None else str(value))
    return env


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=True, separators=(",", ":"), default=str)


def _inert(text: str) -> str:
    """ASCII JSON text with `<`, `>` and `&` escaped: inert inside a <script> element."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def script_json(data: Any) -> Markup:
    """JSON that is safe inside a <script> element whatever strings it holds."""
    return Markup(_inert(_dumps(data)))


JSON_BATCH = 512
"""Items of a long list encoded by one `json.dumps` (C speed, a small piece of text)."""
JSON_SPLIT_DEPTH = 4
"""Dicts nested deeper than this are encoded whole (the report's own structure is shallower)."""
CHUNK_BYTES = 1 << 20


class JsonStream:
    """A JSON list whose items are made while it is encoded (the timeline's rows, one per
    event): never held whole. Only `script_json_chunks` encodes it, once."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = iter(items)


def _json_pieces(data: Any, depth: int = 0) -> Iterator[str]:
    """`_dumps(data)` in pieces: dicts key by key, long lists a batch of items at a time; the
    pieces joined are exactly the text in one piece, which is never held whole."""
    if isinstance(data, JsonStream):
        yield "["
        first = True
        while batch := list(itertools.islice(data.items, JSON_BATCH)):
            yield ("" if first else ",") + _dumps(batch)[1:-1]
            first = False
        yield "]"
        return
    if (
        isinstance(data, dict)
        and depth < JSON_SPLIT_DEPTH
        and all(isinstance(k, str) for k in data)
    ):
        yield "{"
        for n, (key, value) in enumerate(data.items()):
            yield ("," if n else "") + _dumps(key) + ":"
            yield from _json_pieces(value, depth + 1)
        yield "}"
    elif isinstance(data, list) and len(data) > JSON_BATCH:
        yield "["
        for start in range(0, len(data), JSON_BATCH):
            yield ("," if start else "") + _dumps(data[start : start + JSON_BATCH])[1:-1]
        yield "]"
    else:
        yield _dumps(data)


def script_json_chunks(data: Any) -> Iterator[bytes]:
    """`script_json(data)` as ASCII bytes of about CHUNK_BYTES each."""
    buffered: list[str] = []
    size = 0
    for piece in _json_pieces(data):
        buffered.append(piece)
        size += len(piece)
        if size >= CHUNK_BYTES:
            yield _inert("".join(buffered)).encode("ascii")
            buffered, size = [], 0
    yield _inert("".join(buffered)).encode("ascii")


class _Interner:
    """Strings repeated on every event (types, hosts, members) are sent once, by index."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, value: str) -> int:
        if value not in self._index:
            self._index[value] = len(self.values)
            self.values.append(value)
        return self._index[value]


class _RecordTable:
    """Each record is embedded once; sections and timeline events refer to it by index."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self._index: dict[int, int] = {}

    def __call__(self, record: dict[str, Any]) -> int:
        key = id(record)
        if key not in self._index:
            self._index[key] = len(self.rows)
            self.rows.append(record)
        return self._index[key]


def _bundle_data(view: BundleView, table: _RecordTable) -> dict[str, Any]:
    by_type: dict[str, list[int]] = {}
    for item in view.records:
        by_type.setdefault(item.type, []).append(table(item.data))
    return {
        "label": view.label,
        "path": view.path,
        "host": view.host,
        "started": view.started,
        "ended": view.ended,
        "integrity": integrity_data(view.integrity, len(view.members)),
        "custody": custody_data(view),
        "problems": view.problems,
        "members": view.members,
        "log": [table(entry) for entry in view.log],
        "types": by_type,
    }


def _timeline_data(events: Sequence[Event], table: _RecordTable) -> dict[str, Any]:
    """The events as rows of indexes, made while they are encoded: the string tables come
    after the rows in the data, and the records table after the timeline, so both are
    complete when they are encoded."""
    kinds, descs, hosts, members = _Interner(), _Interner(), _Interner(), _Interner()
    rows = (
        [
            e.timestamp,
            kinds(e.event_type),
            descs(e.timestamp_desc),
            e.message,
            hosts(e.host),
            members(e.source_member),
            table(e.record),
        ]
        for e in events
    )
    return {
        "events": JsonStream(rows),
        "types": kinds.values,
        "descs": descs.values,
        "hosts": hosts.values,
        "members": members.values,
    }


def report_data(
    views: Sequence[BundleView], summary: Summary, incident: Incident, events: Sequence[Event]
) -> Any:
    """The report's data; the timeline's rows are made as they are encoded (`JsonStream`), so
    this is encoded once, by `script_json_chunks`."""
    table = _RecordTable()
    bundles = [_bundle_data(view, table) for view in views]
    return {
        "generated": utc_now_iso(),
        "tool_version": __version__,
        "summary": summary_head(views, summary),
        "incident_window": incident.window,
        "findings": summary.findings,
        "iocs": summary.iocs,
        "bundles": bundles,
        "timeline": _timeline_data(events, table),
        "records": table.rows,
    }


def report_chunks(
    views: Sequence[BundleView], *, events: Sequence[Event] | None = None
) -> Iterator[bytes]:
    """The report of one bundle, or of several with one merged timeline, as UTF-8 HTML in
    chunks. The page is rendered around a marker and the data block, by far its largest part,
    is encoded a piece at a time where the marker was: the JSON text, its escaped copy, the
    page and its bytes are never held whole (they were the report's peak memory). Everything
    but the encoding is done before this returns, so a failure raises here, before any chunk."""
    summary = summarize(views)
    incident = build_incident(views, summary.findings)
    if events is None:
        events = build_timeline(views)
    nonce = secrets.token_urlsafe(18)
    marker = f"<!--irkit-data-{nonce}-->"
    template = _environment().from_string(_asset("report.html.j2"))
    html = template.render(
        nonce=nonce,
        summary=summary,
        incident=incident,
        major=[i for i, f in enumerate(summary.findings) if is_serious(f)],
        minor=[i for i, f in enumerate(summary.findings) if not is_serious(f)],
        views=views,
        custody=custody_data,
        banners=not_intact_banners(views),
        css=Markup(_asset("report.css")),
        js=Markup(_asset("report.js")),
        # Host text is escaped, so only the template can write "<!--" and the random nonce.
        data=Markup(marker),
        version=__version__,
    )
    head, found, tail = html.partition(marker)
    if not found or marker in tail:
        raise ValueError("the report template must hold exactly one data block")
    data = report_data(views, summary, incident, events)
    return itertools.chain(
        [head.encode("utf-8", "backslashreplace")],
        script_json_chunks(data),
        [tail.encode("utf-8", "backslashreplace")],
    )


def build_report(views: Sequence[BundleView], *, events: Sequence[Event] | None = None) -> bytes:
    """The report of one bundle, or of several with one merged timeline, as UTF-8 HTML."""
    return b"".join(report_chunks(views, events=events))


def report_from_reader(reader: BundleReader, integrity: Integrity | None = None) -> bytes:
    return build_report([view_from_reader(reader, integrity)])


def report_from_writer(
    writer: EvidenceWriter, records: dict[str, Sequence[RecordLike]], *, iocs: Any = None
) -> Iterator[bytes]:
    """The report for a bundle still being written, to add as report.html before it is sealed.

    `records` maps each records member already written (records/processes.jsonl, ...) to its
    records; copied files and the log come from the writer itself."""
    return report_chunks([view_from_writer(writer, records, iocs=iocs)])


def write_report_member(
    writer: EvidenceWriter, records: Mapping[str, Sequence[Record]], *, iocs: Any = None
) -> None:
    """Add report.html to an open bundle, streamed; a report that fails is logged, never
    fatal (one that fails while it is written stays, marked partial). A stop (interrupt, full
    disk) is no Exception and goes through."""
    try:
        chunks = report_from_writer(writer, dict(records), iocs=iocs)
        writer.write_stream(REPORT_MEMBER, chunks, collector="irkit")
    except Exception as exc:
        writer.log.add("report", "irkit", "error", f"{type(exc).__name__}: {exc}")
