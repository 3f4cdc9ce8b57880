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
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

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
from irkit.timeline.events import Timeline
from irkit.timeutil import utc_now_iso

if TYPE_CHECKING:  # imported when a report is rendered: not resident through a collection
    import jinja2

REPORT_MEMBER = "report.html"
SECTION_TYPES = ("process", "socket", "persistence", "finding", "ioc", "verdict")


def _asset(name: str) -> str:
    return (resources.files("irkit") / "data" / "report" / name).read_text(encoding="utf-8")


def _environment() -> "jinja2.Environment":
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["show"] = lambda value: neutralize("" if value is None else str(value))
    return env


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=True, separators=(",", ":"), default=_unknown)


def _unknown(value: Any) -> Any:
    """A `JsonStream` that `_json_pieces` did not reach is encoded as its list; anything
    else JSON has no type for, as text."""
    return list(value.items) if isinstance(value, JsonStream) else str(value)


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
    """`_dumps(data)` in pieces: dicts key by key, long lists a batch of items at a time,
    short lists of dicts item by item (to reach the streams in them); the pieces joined are
    exactly the text in one piece, which is never held whole."""
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
    elif (
        isinstance(data, list)
        and depth < JSON_SPLIT_DEPTH
        and any(isinstance(item, dict | JsonStream) for item in data)
    ):
        yield "["
        for n, item in enumerate(data):
            yield "," if n else ""
            yield from _json_pieces(item, depth + 1)
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


def _bundle_data(view: BundleView, first: int) -> dict[str, Any]:
    """One bundle's part of the data; its records are numbered from `first` in the records
    table (its records, then its log entries), which the sections refer to by number."""
    by_type: dict[str, array[int]] = {}
    for number, kind in enumerate(view.records.types(), start=first):
        if kind not in by_type:
            by_type[kind] = array("L")
        by_type[kind].append(number)
    log_first = first + len(view.records)
    return {
        "label": view.label,
        "path": view.path,
        "host": view.host,
        "started": view.started,
        "ended": view.ended,
        "integrity": integrity_data(view.integrity, len(view.members)),
        "custody": custody_data(view),
        "problems": view.problems,
        "members": JsonStream(view.members),
        "log": JsonStream(range(log_first, log_first + len(view.log))),
        "types": {kind: JsonStream(numbers) for kind, numbers in by_type.items()},
    }


def _records_table(views: Sequence[BundleView]) -> Iterator[dict[str, Any]]:
    """Every record and log entry, in the order the timeline numbers them, each made as it is
    encoded."""
    for view in views:
        yield from (item.data for item in view.records)
        yield from view.log


def _timeline_data(timeline: Timeline) -> dict[str, Any]:
    """The events as rows of indexes, made while they are encoded: the string tables come
    after the rows in the data, so they are complete when they are encoded."""
    kinds, descs, hosts, members = _Interner(), _Interner(), _Interner(), _Interner()
    rows = (
        [
            micros,
            kinds(source.kind),
            descs(source.description(position)),
            source.message,
            hosts(source.host),
            members(source.member),
            number,
        ]
        for number, micros, position, source in timeline.sourced()
    )
    return {
        "events": JsonStream(rows),
        "types": kinds.values,
        "descs": descs.values,
        "hosts": hosts.values,
        "members": members.values,
    }


def report_data(
    views: Sequence[BundleView], summary: Summary, incident: Incident, timeline: Timeline
) -> Any:
    """The report's data. Nothing in it is a copy of the records: the sections list record
    numbers, and the timeline's rows and the records table are made as they are encoded
    (`JsonStream`), so this is encoded once, by `script_json_chunks`."""
    return {
        "generated": utc_now_iso(),
        "tool_version": __version__,
        "summary": summary_head(views, summary),
        "incident_window": incident.window,
        "findings": summary.findings,
        "iocs": summary.iocs,
        "bundles": [
            _bundle_data(view, first)
            for view, first in zip(views, timeline.first_numbers, strict=True)
        ],
        "timeline": _timeline_data(timeline),
        "records": JsonStream(_records_table(views)),
    }


def report_chunks(
    views: Sequence[BundleView], *, timeline: Timeline | None = None
) -> Iterator[bytes]:
    """The report of one bundle, or of several with one merged timeline, as UTF-8 HTML in
    chunks. The page is rendered around a marker and the data block, by far its largest part,
    is encoded a piece at a time where the marker was: the JSON text, its escaped copy, the
    page and its bytes are never held whole (they were the report's peak memory). Everything
    but the encoding is done before this returns, so a failure raises here, before any chunk."""
    summary = summarize(views)
    incident = build_incident(views, summary.findings)
    if timeline is None:
        timeline = Timeline(views)
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
    data = report_data(views, summary, incident, timeline)
    return itertools.chain(
        [head.encode("utf-8", "backslashreplace")],
        script_json_chunks(data),
        [tail.encode("utf-8", "backslashreplace")],
    )


def build_report(views: Sequence[BundleView], *, timeline: Timeline | None = None) -> bytes:
    """The report of one bundle, or of several with one merged timeline, as UTF-8 HTML."""
    return b"".join(report_chunks(views, timeline=timeline))


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
