"""Timeline events from bundle records, and the Timesketch JSONL/CSV writers."""

import csv
import io
import json
from datetime import datetime
from pathlib import Path

from irkit.evidence.reader import BundleReader
from irkit.evidence.view import BundleView, view_from_parts, view_from_reader
from irkit.timeline import build_timeline, write_csv, write_jsonl
from irkit.timeline.events import to_microseconds
from irkit.timeline.formats import COLUMNS
from tests.reportbundles import ANSI_NAME, PIPE_NAME, scenario_bundle

TIMESKETCH_REQUIRED = ("message", "datetime", "timestamp_desc")


def load(path: Path) -> BundleView:
    with BundleReader(path) as reader:
        return view_from_reader(reader)


def test_every_timestamped_fact_becomes_a_sorted_event(tmp_path: Path) -> None:
    view = load(scenario_bundle(tmp_path))
    events = build_timeline([view])
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    by_type: dict[str, list[str]] = {}
    for event in events:
        by_type.setdefault(event.event_type, []).append(event.timestamp_desc)
    assert by_type["process"] == ["Process Start"] * 3
    born = sum(1 for r in view.of_type("file") if r["crtime"])  # where statx gives birth times
    assert sorted(by_type["file"]) == sorted(
        ["Content Modification Time", "Last Access Time", "Metadata Modification Time"] * 3
        + ["Creation Time"] * born
    )
    assert by_type["persistence"].count("Content Modification Time") == 2
    assert by_type["session"] == ["Login Time"]
    assert by_type["socket"] == ["Observed At Collection"]
    assert sorted(by_type["finding"]) == ["Finding Recorded", "Finding Recorded", "Finding Time"]
    assert by_type["gpu"] == ["Sample Time"]
    assert "Collection Step" in by_type["log"]
    miner = next(e for e in events if e.event_type == "process" and e.record["pid"] == 4242)
    assert miner.datetime == "2026-11-30T10:05:00.123456+00:00"
    assert miner.source_member == "records/processes.jsonl"
    assert miner.host == "miner-host"


def test_records_without_a_readable_time_give_no_event_and_no_crash() -> None:
    view = view_from_parts(
        {
            "records/x.jsonl": [
                {"type": "process", "pid": 1, "start_time": None},
                {"type": "process", "pid": 2, "start_time": "not a time"},
                {"type": "mystery", "seen": "2026-01-01T00:00:00Z"},
                {"type": "mystery", "first_seen": "2026-01-01T00:00:00Z", "note": "x"},
                {"no_type": True, "time": 1_700_000_000},
            ]
        }
    )
    events = build_timeline([view])
    assert [(e.event_type, e.timestamp_desc) for e in events] == [
        ("record", "Time"),
        ("mystery", "First Seen"),
    ]


def test_to_microseconds_is_exact() -> None:
    assert to_microseconds("1970-01-01T00:00:00.000001Z") == 1
    assert to_microseconds("2026-11-30T10:05:00.123456+00:00") == 1_796_033_100_123_456
    assert to_microseconds("2026-11-30T11:05:00.123456+01:00") == 1_796_033_100_123_456
    assert to_microseconds(1.5) == 1_500_000
    assert to_microseconds(True) is None
    assert to_microseconds("") is None


def test_jsonl_lines_follow_timesketch_format(tmp_path: Path) -> None:
    events = build_timeline([load(scenario_bundle(tmp_path))])
    out = io.StringIO()
    assert write_jsonl(events, out) == len(events)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(events)
    for line in lines:
        row = json.loads(line)
        assert all(isinstance(row[key], str) and row[key] for key in TIMESKETCH_REQUIRED)
        moment = datetime.fromisoformat(row["datetime"])
        assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0
        assert row["datetime"].endswith("+00:00")
        assert row["timestamp"] == to_microseconds(row["datetime"])
        assert isinstance(json.loads(row["record"]), dict)
        assert list(row) == list(COLUMNS)
    ansi = [json.loads(line) for line in lines if "RED" in line]
    assert any(ANSI_NAME in row["message"] for row in ansi), "JSONL keeps host text lossless"


def test_csv_has_the_same_columns_and_no_raw_control_characters(tmp_path: Path) -> None:
    events = build_timeline([load(scenario_bundle(tmp_path))])
    out = io.StringIO()
    write_csv(events, out)
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == len(events)
    assert any("\\x1b[31mRED" in row["message"] for row in rows)
    assert any(PIPE_NAME in row["message"] for row in rows)


def test_several_bundles_merge_into_one_timeline_with_hosts(tmp_path: Path) -> None:
    one = load(scenario_bundle(tmp_path, "a.zip", hostname="alpha"))
    (tmp_path / "b").mkdir()
    two = load(scenario_bundle(tmp_path / "b", "b.zip", hostname="beta"))
    events = build_timeline([one, two])
    assert {e.host for e in events} == {"alpha", "beta"}
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    assert len(events) == len(build_timeline([one])) + len(build_timeline([two]))


def test_every_exported_row_names_its_host(tmp_path: Path) -> None:
    events = build_timeline([load(scenario_bundle(tmp_path, hostname="web-7"))])
    jsonl, table = io.StringIO(), io.StringIO()
    write_jsonl(events, jsonl)
    write_csv(events, table)
    rows = [json.loads(line) for line in jsonl.getvalue().splitlines()]
    assert rows and {row["host"] for row in rows} == {"web-7"}
    assert {row["host"] for row in csv.DictReader(io.StringIO(table.getvalue()))} == {"web-7"}
