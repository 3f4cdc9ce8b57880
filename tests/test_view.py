"""Loading a bundle for review: records keep their member; damaged lines are named, not fatal."""

from pathlib import Path

from irkit.evidence.reader import BundleReader
from irkit.evidence.view import view_from_reader
from irkit.evidence.writer import EvidenceWriter
from tests.reportbundles import scenario_bundle


def test_records_keep_the_member_they_came_from(tmp_path: Path) -> None:
    with BundleReader(scenario_bundle(tmp_path)) as reader:
        view = view_from_reader(reader)
    assert view.label == "miner-host"
    assert view.problems == []
    assert {r.member for r in view.records if r.type == "process"} == {"records/processes.jsonl"}
    assert len(view.of_type("file")) == 3
    assert view.integrity.complete is True
    assert view.iocs == {"domains": ["pool.example.invalid"], "sha256": ["ab" * 32]}


def test_corrupt_lines_and_iocs_are_reported_with_member_and_line(tmp_path: Path) -> None:
    bundle = tmp_path / "corrupt.zip"
    with bundle.open("wb") as sink:
        writer = EvidenceWriter(sink, command_line=["irkit", "test"])
        writer.write_bytes(
            "records/processes.jsonl",
            b'{"type": "process", "pid": 1}\n{"type": "proc\n[1, 2]\n\n'
            b'{"type": "process", "pid": 2}\n',
            collector="test",
        )
        writer.write_bytes("iocs.json", b"{not json", collector="test")
        writer.close(complete=True)
    with BundleReader(bundle) as reader:
        view = view_from_reader(reader)
    assert [r["pid"] for r in view.of_type("process")] == [1, 2]
    assert len(view.problems) == 3
    assert view.problems[0].startswith("records/processes.jsonl line 2: not JSON")
    assert view.problems[1] == "records/processes.jsonl line 3: not a JSON object"
    assert view.problems[2].startswith("iocs.json: not JSON")
    assert view.label == "corrupt.zip"
