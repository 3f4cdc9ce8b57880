"""report.html's data and the timeline, made lazily (records read from the writer's Record
objects, one int per event, rows and records made while they are encoded), are what the
earlier eager build gave: every record's dict held, every event an object, sorted by time.

The reference below is that earlier algorithm, kept here only to compare against."""

import json
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irkit.collectors.persistence import PersistenceRecord
from irkit.collectors.sockets import SocketRecord
from irkit.evidence.log import LogEntry
from irkit.evidence.manifest import MemberEntry
from irkit.evidence.records import FileRecord, Finding, Record
from irkit.evidence.view import BundleView, view_from_parts
from irkit.report.html import _dumps, report_data, script_json_chunks
from irkit.report.incident import build_incident
from irkit.report.summary import summarize
from irkit.timeline import events as timeline_events
from irkit.timeline.events import (
    LOG_MEMBER,
    LOG_RULE,
    RULES,
    Event,
    Timeline,
    _generic_rule,
    _message,
    build_timeline,
    executable_names,
    to_microseconds,
)
from tests.hostile.fuzzing import fuzz_settings

TIMES = ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5Z", "2025-06-30T23:59:59.999999Z"]
times = st.sampled_from([*TIMES, None, "", "not a time", "1969-12-31T23:59:59Z"])
texts = st.text(alphabet=st.sampled_from(list("ab/<&\u00e9 ")), max_size=5)
MEMBERS = ["records/a.jsonl", "records/b.jsonl", "records/files.jsonl"]

persistence = st.builds(
    PersistenceRecord,
    mechanism=st.sampled_from(["cron", "systemd", "rc"]),
    source=st.sampled_from(["/etc/crontab", "/etc/cron.d/x"]),
    line=st.none() | st.integers(1, 9),
    owner=st.none() | texts,
    schedule=st.none() | texts,
    command=st.none() | texts,
    mtime=times,
    ctime=times,
    detail=st.dictionaries(texts, texts, max_size=2),
)
files = st.builds(
    FileRecord,
    path=texts,
    member=st.sampled_from(["files/x", "exe/1"]),
    collector=st.just("test"),
    sha256=st.none(),
    size=st.integers(0, 9),
    mode=st.just(0o100644),
    uid=st.just(0),
    gid=st.just(0),
    mtime=st.sampled_from(TIMES),
    atime=st.sampled_from(TIMES),
    ctime=st.sampled_from(TIMES),
    crtime=times,
)
sockets = st.builds(
    SocketRecord,
    proto=st.just("tcp"),
    local_address=st.sampled_from(["10.0.0.1", "::1"]),
    local_port=st.none() | st.integers(1, 9),
    remote_address=st.none(),
    remote_port=st.none(),
    state=st.just("LISTEN"),
    pid=st.none() | st.integers(1, 3),
    process_name=st.none(),
    inode=st.just(1),
)
findings = st.builds(
    Finding,
    title=texts,
    severity=st.sampled_from(["low", "high"]),
    source=st.just("test"),
    pid=st.none() | st.integers(1, 3),
    path=st.none() | st.sampled_from(["/etc/crontab", "/etc/cron.d/x"]),
    time=times,
)
# What a bundle read back may hold: any type, time-like fields of any value.
dicts = st.fixed_dictionaries(
    {"type": st.sampled_from(["process", "socket", "mystery", 7, None])},
    optional={
        "start_time": times,
        "first_seen": times | st.integers(-(2**40), 2**40),
        "x_time": times,
        "pid": st.integers(1, 3),
        "exe": texts,
        "exe_member": st.sampled_from(["exe/1", ""]),
    },
)
records: st.SearchStrategy[Record | dict[str, Any]] = st.one_of(
    persistence, files, sockets, findings, dicts
)
logs = st.builds(
    LogEntry,
    time=st.sampled_from(TIMES),
    step=texts,
    collector=st.just("test"),
    outcome=st.sampled_from(["ok", "error"]),
    error=st.none() | texts,
    detail=st.dictionaries(st.sampled_from(["member", "path"]), texts, max_size=1),
)
members = st.builds(
    MemberEntry,
    name=st.sampled_from(MEMBERS),
    sha256=st.just("0" * 64),
    size=st.just(1),
    source=st.none(),
    collector=st.just("test"),
    acquired=times.map(lambda t: t or ""),
)
views = st.builds(
    lambda groups, log, manifest, host: view_from_parts(
        groups, log=log, members=manifest, host={"hostname": host}
    ),
    st.dictionaries(st.sampled_from(MEMBERS), st.lists(records, max_size=6), max_size=3),
    st.lists(logs, max_size=4),
    st.lists(members, max_size=3),
    st.sampled_from(["web-1", "web-2"]),
)


def eager_events(
    view: BundleView, records: list[tuple[str, str, dict[str, Any]]], log: list[dict[str, Any]]
) -> list[Event]:
    """The earlier `bundle_events`: every event made, record after record, then the log."""
    acquired = {m["name"]: m.get("acquired", "") for m in view.members}
    executables = executable_names(view)
    state = view.integrity.state
    events = []
    for member, kind, record in records:
        rule = RULES.get(kind) or _generic_rule(record)
        message = _message(kind, record, rule, executables)
        found = False
        for name, description in rule.fields:
            micros = to_microseconds(record.get(name))
            if micros is not None:
                found = True
                events.append(Event(micros, description, kind, message, view.label, member, record))
        if not found and rule.observed is not None:
            micros = to_microseconds(acquired.get(member))
            if micros is not None:
                events.append(
                    Event(micros, rule.observed, kind, message, view.label, member, record)
                )
    for entry in log:
        micros = to_microseconds(entry.get("time"))
        if micros is not None:
            message = LOG_RULE.message(entry)
            events.append(
                Event(micros, "Collection Step", "log", message, view.label, LOG_MEMBER, entry)
            )
    for event in events:
        event.bundle_integrity = state
    return events


def eager_data(views: Sequence[BundleView]) -> tuple[dict[str, Any], list[Event]]:
    """The earlier report data: every record's dict held in one table, sections and events
    referring to them by the identity of the dict."""
    table: list[dict[str, Any]] = []
    index: dict[int, int] = {}

    def number(record: dict[str, Any]) -> int:
        if id(record) not in index:
            index[id(record)] = len(table)
            table.append(record)
        return index[id(record)]

    bundles, events = [], []
    for view in views:
        held = [(item.member, item.type, item.data) for item in view.records]
        log = list(view.log)
        by_type: dict[str, list[int]] = {}
        for _, kind, record in held:
            by_type.setdefault(kind, []).append(number(record))
        bundles.append(
            {"members": list(view.members), "log": [number(e) for e in log], "types": by_type}
        )
        events += eager_events(view, held, log)
    events.sort(key=lambda e: e.timestamp)
    strings: dict[str, list[str]] = {"types": [], "descs": [], "hosts": [], "members": []}

    def intern(name: str, value: str) -> int:
        if value not in strings[name]:
            strings[name].append(value)
        return strings[name].index(value)

    rows = [
        [
            e.timestamp,
            intern("types", e.event_type),
            intern("descs", e.timestamp_desc),
            e.message,
            intern("hosts", e.host),
            intern("members", e.source_member),
            number(e.record),
        ]
        for e in events
    ]
    return {"bundles": bundles, "timeline": {"events": rows, **strings}, "records": table}, events


def lazy_data(views: Sequence[BundleView]) -> dict[str, Any]:
    summary = summarize(views)
    incident = build_incident(views, summary.findings)
    text = b"".join(script_json_chunks(report_data(views, summary, incident, Timeline(views))))
    data = json.loads(text)
    return {
        "bundles": [
            {key: bundle[key] for key in ("members", "log", "types")} for bundle in data["bundles"]
        ],
        "timeline": data["timeline"],
        "records": data["records"],
    }


@fuzz_settings(150)
@given(st.lists(views, min_size=1, max_size=3))
def test_the_lazy_report_data_is_the_eager_one(bundles: list[BundleView]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timeline_events, "RUN_EVENTS", 3)  # several sorted runs to merge
        lazy = lazy_data(bundles)
        timeline = build_timeline(bundles)
    eager, events = eager_data(bundles)
    assert lazy == json.loads(_dumps(eager))
    assert [vars_of(e) for e in timeline] == [vars_of(e) for e in events]


def vars_of(event: Event) -> tuple[Any, ...]:
    return (
        event.timestamp,
        event.timestamp_desc,
        event.event_type,
        event.message,
        event.host,
        event.source_member,
        _dumps(event.record),
        event.bundle_integrity,
    )
