"""Readers get the record dataclasses back; a record that does not fit is a logged skip."""

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irkit.collectors.processes import ProcessRecord
from irkit.evidence.reader import BundleReader
from irkit.evidence.records import Finding
from irkit.evidence.schema import record_classes
from irkit.evidence.typed import RecordError, record_from_dict, records_of, typed_records
from irkit.evidence.view import view_from_reader
from irkit.evidence.writer import EvidenceWriter
from irkit.hunt.hits import MatchedString, YaraHit


def test_a_record_comes_back_as_its_dataclass() -> None:
    original = YaraHit(
        "r", "ns", "high", "d", "/tmp/x", "file", strings=[MatchedString("$a", 4, 2, "ab")]
    )
    back = record_from_dict(YaraHit, original.to_dict())
    assert back == original
    assert isinstance(back.strings[0], MatchedString)


def test_defaults_fill_what_an_older_bundle_lacks_and_unknown_fields_are_dropped() -> None:
    record = record_from_dict(ProcessRecord, {"type": "process", "pid": 7, "new_field": 1})
    assert record == ProcessRecord(pid=7)
    assert record_from_dict(ProcessRecord, {"pid": 7, "cpu_percent": 3}).cpu_percent == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ppid": 1}, "no 'pid' field"),
        ({"pid": "7"}, "field 'pid'"),
        ({"pid": True}, "field 'pid'"),
        ({"pid": 7, "cmdline": ["a", 3]}, "field 'cmdline'"),
        ({"pid": 7, "namespaces": {"net": "x"}}, "field 'namespaces'"),
        ({"pid": 7, "exe_deleted": 1}, "field 'exe_deleted'"),
    ],
)
def test_a_record_that_does_not_fit_names_the_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordError, match=message):
        record_from_dict(ProcessRecord, data)


def test_a_nested_record_that_does_not_fit_fails_its_field() -> None:
    data = YaraHit("r", "ns", "high", "d", "/x", "file").to_dict() | {"strings": [{"offset": 1}]}
    with pytest.raises(RecordError, match="field 'strings'"):
        record_from_dict(YaraHit, data)


def _bundle(path: Path, lines: list[bytes]) -> Path:
    with path.open("wb") as sink:
        writer = EvidenceWriter(sink, command_line=["test"])
        writer.write_bytes("records/processes.jsonl", b"\n".join(lines) + b"\n", collector="t")
        writer.close(complete=True)
    return path


HOSTILE_LINES = [
    b'{"type": "process", "pid": 10, "name": "good"}',
    b'{"type": "process", "pid": "11"}',
    b'{"type": "process", "name": "no pid"}',
    b"not json",
    b'{"type": "process", "pid": 12, "cmdline": ["ok", "\\udcff"]}',
    b'{"type": "finding", "title": "t", "severity": "high", "source": "yara"}',
]


def test_records_of_skips_bad_records_into_the_readers_problems(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "b.zip", HOSTILE_LINES)
    with BundleReader(bundle) as reader:
        processes = list(records_of(reader, ProcessRecord))
        findings = list(records_of(reader, Finding))
        problems = list(reader.problems)
    assert [p.pid for p in processes] == [10, 12]
    assert processes[1].cmdline == ["ok", "\udcff"]
    assert [f.title for f in findings] == ["t"]
    assert any("process record 2 skipped: field 'pid'" in p for p in problems)
    assert any("process record 3 skipped: no 'pid' field" in p for p in problems)
    assert any("line 4" in p for p in problems)


def test_a_view_gives_typed_records_and_keeps_the_problems(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "b.zip", HOSTILE_LINES)
    with BundleReader(bundle) as reader:
        view = view_from_reader(reader)
    assert [p.pid for p in view.typed(ProcessRecord)] == [10, 12]
    assert sum("skipped" in p for p in view.problems) == 2


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
CLASSES = record_classes()


@given(
    cls=st.sampled_from(CLASSES),
    data=st.dictionaries(st.sampled_from(["pid", "path", "name", "strings", "type", "x"]), JSON),
)
def test_any_json_object_is_a_record_or_a_logged_skip(cls: type, data: dict[str, Any]) -> None:
    problems: list[str] = []
    found = list(typed_records([data], cls, problems, "fuzz"))
    assert len(found) + len(problems) == 1
    assert all(isinstance(record, cls) for record in found)
