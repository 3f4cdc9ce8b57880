"""Every timestamped fact of a bundle as one event, sorted, each keeping its source record.

Known record types say which of their fields are times and how to word the event; any other
type still contributes the fields whose names say they are times (`time`, `*_time`, `mtime`,
...), so a record type added later shows up on the timeline without a change here.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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


@dataclass
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
    try:
        moment = parse_iso(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    micros = (moment - EPOCH) // ONE_MICROSECOND
    return micros if FIRST_SECOND * 1_000_000 <= micros <= LAST_SECOND * 1_000_000 else None


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


def _message(item: SourcedRecord, rule: EventRule, executables: Mapping[str, str]) -> str:
    record = item.data
    member = record.get("member")
    real = executables.get(member) if item.type == "file" and isinstance(member, str) else None
    if real:
        return f"file {real} (recovered from {as_text(record.get('path'))})"
    return rule.message(record)


def record_events(
    item: SourcedRecord,
    host: str,
    acquired: dict[str, str],
    executables: Mapping[str, str] | None = None,
) -> Iterator[Event]:
    """The events of one record (none when it holds no readable time); a recovered binary's
    `file` record is worded by its executable's path (`executables`, by member)."""
    record = item.data
    rule = RULES.get(item.type) or _generic_rule(record)
    message = _message(item, rule, executables or {})
    found = False
    for name, description in rule.fields:
        micros = to_microseconds(record.get(name))
        if micros is None:
            continue
        found = True
        yield Event(micros, description, item.type, message, host, item.member, record)
    if not found and rule.observed is not None:
        micros = to_microseconds(acquired.get(item.member))
        if micros is not None:
            yield Event(micros, rule.observed, item.type, message, host, item.member, record)


def log_events(entries: Iterable[dict[str, Any]], host: str) -> Iterator[Event]:
    for entry in entries:
        micros = to_microseconds(entry.get("time"))
        if micros is None:
            continue
        text = f"{as_text(entry.get('collector'))} {as_text(entry.get('step'))} "
        text += as_text(entry.get("outcome"))
        if entry.get("error"):
            text += f": {entry['error']}"
        detail = entry.get("detail") or {}
        where = detail.get("member") or detail.get("path") if isinstance(detail, dict) else None
        if where:
            text += f" {where}"
        yield Event(micros, "Collection Step", "log", text, host, LOG_MEMBER, entry)


def bundle_events(view: BundleView) -> list[Event]:
    acquired = view.member_acquired()
    executables = executable_names(view)
    events = [
        e for item in view.records for e in record_events(item, view.label, acquired, executables)
    ]
    events.extend(log_events(view.log, view.label))
    for event in events:
        event.bundle_integrity = view.integrity.state
    return events


def build_timeline(views: Sequence[BundleView]) -> list[Event]:
    """One timeline across every bundle given, oldest first (stable for equal times)."""
    events = [e for view in views for e in bundle_events(view)]
    events.sort(key=lambda e: e.timestamp)
    return events
