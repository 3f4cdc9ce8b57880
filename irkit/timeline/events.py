"""Every timestamped fact of a bundle as one event, sorted, each keeping its source record.

Known record types say which of their fields are times and how to word the event; any other
type still contributes the fields whose names say they are times (`time`, `*_time`, `mtime`,
...), so a record type added later shows up on the timeline without a change here.
"""

import bisect
import functools
import heapq
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from irkit.collectors.processes import ProcessRecord
from irkit.evidence.view import BundleView, SourcedRecord
from irkit.timeutil import parse_iso

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
FIRST_SECOND = (datetime.min.replace(tzinfo=UTC) - EPOCH) // timedelta(seconds=1)
LAST_SECOND = (datetime.max.replace(tzinfo=UTC) - EPOCH) // timedelta(seconds=1)
"""Epoch seconds a datetime can show: a record's time outside them (or NaN) is no time."""
LOG_MEMBER = "collection.log"


@dataclass(slots=True)
class Event:
    timestamp: int
    """Microseconds since the epoch, UTC."""
    timestamp_desc: str
    event_type: str
    message: str
    host: str
    source_member: str
    record: dict[str, Any]
    bundle_integrity: str = "unverified"
    """Whether the bundle it comes from was verified intact, so an --allow-not-intact export of
    a bundle that is NOT INTACT says so on every row."""

    @property
    def datetime(self) -> str:
        """ISO-8601 with an explicit +00:00 offset (Timesketch reads it unambiguously)."""
        moment = EPOCH + self.timestamp * ONE_MICROSECOND
        return moment.isoformat(timespec="microseconds")


def to_microseconds(value: Any) -> int | None:
    """An ISO-8601 string or epoch seconds as microseconds since the epoch; None if neither."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return round(value * 1_000_000) if FIRST_SECOND <= value <= LAST_SECOND else None
    if not isinstance(value, str) or not value:
        return None
    return _cached_microseconds(value) if len(value) <= CACHED_LENGTH else _microseconds(value)


def _microseconds(value: str) -> int | None:
    try:
        moment = parse_iso(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    micros = (moment - EPOCH) // ONE_MICROSECOND
    return micros if FIRST_SECOND * 1_000_000 <= micros <= LAST_SECOND * 1_000_000 else None


CACHED_LENGTH = 64
"""Times up to this long are parsed once for all the records that share them (every line of
a crontab has its file's times: 10,000 crontabs give 100,000 times of 20,000 values); a
longer string is no time irkit wrote, and is not kept."""
_cached_microseconds = functools.lru_cache(maxsize=1024)(_microseconds)


def as_text(value: Any) -> str:
    """A record field as text, whatever a hostile bundle put there: a list (argv) joined by
    spaces, None as nothing."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(map(str, value))
    return str(value)


def endpoint(address: Any, port: Any) -> str:
    """`address:port`, an IPv6 address in brackets; the address alone without a port."""
    if not address and not port:
        return ""
    address = as_text(address)
    if ":" in address:
        address = f"[{address}]"
    return f"{address}:{as_text(port)}" if port not in (None, "") else address


def _process_message(r: dict[str, Any]) -> str:
    return f"process {r.get('pid')} {as_text(r.get('name'))} started: {as_text(r.get('cmdline'))}"


def _file_message(r: dict[str, Any]) -> str:
    return f"file {as_text(r.get('path'))}"


def _persistence_message(r: dict[str, Any]) -> str:
    where = as_text(r.get("source"))
    if r.get("line") is not None:
        where += f":{r['line']}"
    return f"{as_text(r.get('mechanism'))} persistence {where}: {as_text(r.get('command'))}".rstrip(
        ": "
    )


def _session_message(r: dict[str, Any]) -> str:
    origin = as_text(r.get("host") or r.get("address"))
    text = f"login {as_text(r.get('user'))} on {as_text(r.get('line'))}"
    return text + (f" from {origin}" if origin else "")


def _socket_message(r: dict[str, Any]) -> str:
    local = endpoint(r.get("local_address"), r.get("local_port"))
    remote = endpoint(r.get("remote_address"), r.get("remote_port"))
    text = f"{as_text(r.get('proto'))} {local}"
    if remote:
        text += f" -> {remote}"
    if r.get("state"):
        text += f" {r['state']}"
    if r.get("pid") is not None:
        text += f" pid {r['pid']} {as_text(r.get('process_name'))}"
    return text.rstrip()


def _finding_message(r: dict[str, Any]) -> str:
    return f"[{as_text(r.get('severity'))}] {as_text(r.get('title'))}"


def _host_message(r: dict[str, Any]) -> str:
    return f"boot of {as_text(r.get('hostname'))}".rstrip()


def _generic_message(r: dict[str, Any]) -> str:
    shown = [
        f"{k}={as_text(v)}"
        for k, v in r.items()
        if k != "type" and isinstance(v, str | int | float) and not _is_time_field(k)
    ]
    return f"{as_text(r.get('type') or 'record')} " + " ".join(shown[:4])


Wording = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class EventRule:
    """For one record type: its time fields with their descriptions, and how to word it.

    `observed` types (sockets) carry no time of their own: they were seen at collection, so
    their event is the time their member was written.
    """

    fields: tuple[tuple[str, str], ...]
    message: Wording
    observed: str | None = None


FILE_TIMES = (
    ("mtime", "Content Modification Time"),
    ("atime", "Last Access Time"),
    ("ctime", "Metadata Modification Time"),
    ("crtime", "Creation Time"),
)

RULES: dict[str, EventRule] = {
    "process": EventRule((("start_time", "Process Start"),), _process_message),
    "file": EventRule(FILE_TIMES, _file_message),
    "persistence": EventRule(FILE_TIMES, _persistence_message),
    "session": EventRule((("time", "Login Time"),), _session_message),
    "login": EventRule(
        (("time", "Login Time"), ("login_time", "Login Time"), ("logout_time", "Logout Time")),
        _session_message,
    ),
    "socket": EventRule((), _socket_message, observed="Observed At Collection"),
    "finding": EventRule((("time", "Finding Time"),), _finding_message, "Finding Recorded"),
    "host": EventRule((("boot_time", "System Boot"),), _host_message),
}

GENERIC_TIME_NAMES = {"time", "timestamp", "mtime", "atime", "ctime", "crtime", "first_seen"}


def _is_time_field(name: str) -> bool:
    return name in GENERIC_TIME_NAMES or name.endswith(("_time", "_seen"))


def _generic_rule(record: dict[str, Any]) -> EventRule:
    fields = tuple((k, k.replace("_", " ").title()) for k in record if _is_time_field(k))
    return EventRule(fields, _generic_message)


def executable_names(view: BundleView) -> dict[str, str]:
    """Member → the executable's own path, for binaries copied through `/proc/PID/exe`: the
    file is the program on disk (deleted, as fls would mark it), not a proc link. Only the
    processes that have such a member are read as records (a bundle may hold 100,000)."""
    return {
        p.exe_member: f"{p.exe} (deleted)" if p.exe_deleted else p.exe
        for p in view.typed(ProcessRecord, lambda r: bool(r.get("exe_member")))
        if p.exe_member and p.exe
    }


def _message(
    kind: str, record: dict[str, Any], rule: EventRule, executables: Mapping[str, str]
) -> str:
    member = record.get("member")
    real = executables.get(member) if kind == "file" and isinstance(member, str) else None
    if real:
        return f"file {real} (recovered from {as_text(record.get('path'))})"
    return rule.message(record)


def _log_message(entry: dict[str, Any]) -> str:
    text = f"{as_text(entry.get('collector'))} {as_text(entry.get('step'))} "
    text += as_text(entry.get("outcome"))
    if entry.get("error"):
        text += f": {entry['error']}"
    detail = entry.get("detail") or {}
    where = detail.get("member") or detail.get("path") if isinstance(detail, dict) else None
    if where:
        text += f" {where}"
    return text


LOG_RULE = EventRule((("time", "Collection Step"),), _log_message)
"""A collection log entry: one event at its time."""


@dataclass(slots=True)
class EventSource:
    """What the events of one record share: all but their time and its description."""

    kind: str
    rule: EventRule
    message: str
    host: str
    member: str
    record: dict[str, Any]
    integrity: str

    def description(self, position: int) -> str:
        """Of the time field at `position` (`_Bundle.times`)."""
        fields = self.rule.fields
        return fields[position][1] if position < len(fields) else self.rule.observed or ""

    def event(self, micros: int, position: int) -> Event:
        return Event(
            micros,
            self.description(position),
            self.kind,
            self.message,
            self.host,
            self.member,
            self.record,
            self.integrity,
        )


class _Bundle:
    """One view's records, then its log entries, as numbered sources of events."""

    def __init__(self, view: BundleView, first: int) -> None:
        self.view = view
        self.first = first
        """The number of its first record: a report's index of it."""
        self.count = len(view.records) + len(view.log)
        self.executables = executable_names(view)
        self._acquired: dict[str, str] | None = None

    def timed(self) -> Iterator[tuple[str, SourcedRecord | dict[str, Any], EventRule]]:
        """(member, record, rule) of each record, then of each log entry; a record of a known
        type is not made into a dict (only its times are read)."""
        for item in self.view.records:
            rule = RULES.get(item.type)
            if rule is not None:
                yield item.member, item, rule
            else:
                record = item.data
                yield item.member, record, _generic_rule(record)
        for entry in self.view.log:
            yield LOG_MEMBER, entry, LOG_RULE

    def source(self, index: int) -> EventSource:
        """The `index`th record (or log entry past the records), worded."""
        host, integrity, records = self.view.label, self.view.integrity.state, self.view.records
        if index >= len(records):
            entry = self.view.log[index - len(records)]
            return EventSource(
                "log", LOG_RULE, _log_message(entry), host, LOG_MEMBER, entry, integrity
            )
        item = records[index]
        kind, record = item.type, item.data
        rule = RULES.get(kind) or _generic_rule(record)
        message = _message(kind, record, rule, self.executables)
        return EventSource(kind, rule, message, host, item.member, record, integrity)

    def times(
        self, member: str, record: SourcedRecord | dict[str, Any], rule: EventRule
    ) -> Iterator[tuple[int, int]]:
        """(position, microseconds) of each event of one record: the position of its time
        field in `rule.fields`, or one past them for the `observed` event of a record with no
        time of its own (the time its member was written)."""
        found = False
        for position, (name, _) in enumerate(rule.fields):
            micros = to_microseconds(record.get(name))
            if micros is not None:
                found = True
                yield position, micros
        if not found and rule.observed is not None:
            micros = to_microseconds(self._member_times().get(member))
            if micros is not None:
                yield len(rule.fields), micros

    def _member_times(self) -> dict[str, str]:
        if self._acquired is None:
            self._acquired = self.view.member_acquired()
        return self._acquired


def bundle_events(view: BundleView) -> Iterator[Event]:
    """Every event of one bundle, record by record, then its log (not sorted)."""
    bundle = _Bundle(view, 0)
    for index in range(bundle.count):
        source = bundle.source(index)
        for position, micros in bundle.times(source.member, source.record, source.rule):
            yield source.event(micros, position)


FIELD_BITS = 32
"""Bits of an event's code for the position of its time field in its record."""
FIELD_MASK = (1 << FIELD_BITS) - 1
FIRST_MICROSECOND = FIRST_SECOND * 1_000_000
RUN_EVENTS = 1 << 14
"""Events sorted at a time, as Python ints; a sorted run is kept as two arrays."""


class Timeline:
    """Every event of some bundles, oldest first (in the order of their records for equal
    times), held as 16 bytes per event: its time, and a code of the number of its record
    (each bundle's records, then its log entries, bundle after bundle: the report's index
    of the record) and the position of its time field. Events are sorted RUN_EVENTS at a
    time into runs of two arrays and merged when read; an event's record dict and wording
    are made when it is read. 190,000 events are 3 MiB, not 190,000 events each with a
    record, nor 190,000 Python ints (7 MiB)."""

    def __init__(self, views: Sequence[BundleView]) -> None:
        self._bundles: list[_Bundle] = []
        self._runs: list[tuple[array[int], array[int]]] = []
        self._length = 0
        keys: list[int] = []
        first = 0
        for view in views:
            bundle = _Bundle(view, first)
            self._bundles.append(bundle)
            for number, (member, record, rule) in enumerate(bundle.timed(), start=first):
                code = number << FIELD_BITS
                for position, micros in bundle.times(member, record, rule):
                    keys.append((micros - FIRST_MICROSECOND) << 64 | code | position)
                if len(keys) >= RUN_EVENTS:
                    self._add_run(keys)
                    keys = []
            first += bundle.count
        self._add_run(keys)
        self._firsts = [bundle.first for bundle in self._bundles]

    def _add_run(self, keys: list[int]) -> None:
        keys.sort()
        times = array("Q", (key >> 64 for key in keys))
        codes = array("Q", (key & 0xFFFF_FFFF_FFFF_FFFF for key in keys))
        self._runs.append((times, codes))
        self._length += len(keys)

    @property
    def first_numbers(self) -> list[int]:
        """The number of each bundle's first record, in the order the bundles were given."""
        return list(self._firsts)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Event]:
        return (source.event(micros, position) for _, micros, position, source in self.sourced())

    def sourced(self) -> Iterator[tuple[int, int, int, EventSource]]:
        """(number of its record, microseconds, position of its time field, its record's
        source) of each event, oldest first: the parts of an `Event`, without making one."""
        last, source = -1, None
        for time, code in heapq.merge(
            *(zip(times, codes, strict=True) for times, codes in self._runs)
        ):
            number = code >> FIELD_BITS
            if number != last or source is None:
                bundle = self._bundles[bisect.bisect_right(self._firsts, number) - 1]
                source, last = bundle.source(number - bundle.first), number
            yield number, time + FIRST_MICROSECOND, code & FIELD_MASK, source


def build_timeline(views: Sequence[BundleView]) -> Timeline:
    """One timeline across every bundle given, oldest first (stable for equal times): its
    events are made as it is read (an export writes each as it is made)."""
    return Timeline(views)
