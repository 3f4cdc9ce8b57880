"""The HTML report without a browser: escaping, self-containment, building into an open bundle."""

import json
import re
from pathlib import Path

from irkit.evidence.reader import BundleReader
from irkit.evidence.records import Finding
from irkit.evidence.verify import verify_bundle
from irkit.evidence.view import view_from_parts, view_from_reader
from irkit.evidence.writer import EvidenceWriter
from irkit.report.html import (
    REPORT_MEMBER,
    build_report,
    report_from_reader,
    script_json,
    write_report_member,
)
from tests.reportbundles import SCRIPT_TITLE, XSS_CMDLINE, jsonl, process, scenario_bundle

DATA_BLOCK = re.compile(
    r'<script type="application/json" id="irkit-data">(.*?)</script>', re.DOTALL
)


def embedded_data(html: str) -> dict:
    match = DATA_BLOCK.search(html)
    assert match is not None
    return json.loads(match.group(1))


def test_script_json_cannot_close_the_script_element_or_open_a_comment() -> None:
    text = str(script_json({"a": "</script><!-- <script>", "b": "&amp; \u2028"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- <script>", "b": "&amp; \u2028"}


def test_host_text_never_reaches_the_page_as_markup(tmp_path: Path) -> None:
    with BundleReader(scenario_bundle(tmp_path)) as reader:
        html = report_from_reader(reader).decode()
    assert "<img" not in html
    assert html.count("</script>") == 2, "only the data block and the page script end"
    assert SCRIPT_TITLE not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(2)" in html, "the title is shown, escaped"
    data = embedded_data(html)
    assert XSS_CMDLINE in json.dumps(data["records"]), "the data itself is kept intact"
    assert "\x1b" not in html.split('id="irkit-data"')[0], "no raw escape in rendered markup"


def test_the_page_is_self_contained(tmp_path: Path) -> None:
    with BundleReader(scenario_bundle(tmp_path)) as reader:
        html = report_from_reader(reader).decode()
    page = DATA_BLOCK.sub("", html)
    assert not re.search(r"(?i)\b(src|href)\s*=\s*[\"']?(https?:|//|file:)", page)
    assert not re.search(r"(?i)<(link|iframe|object|embed|img)\b", page)
    assert not re.search(r"(?i)@import|url\(", page)
    assert not re.search(r"\b(fetch|XMLHttpRequest|WebSocket|innerHTML|outerHTML)\b", page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_unknown_record_types_and_odd_findings_degrade_to_generic_rows() -> None:
    view = view_from_parts(
        {
            "records/odd.jsonl": [
                {"type": "finding", "title": "no severity, reasons as a string", "reasons": "x"},
                {"type": "weird", "nested": {"a": [1, 2]}, "when_time": "2026-01-01T00:00:00Z"},
                {"no type at all": 1},
            ]
        }
    )
    html = build_report([view]).decode()
    data = embedded_data(html)
    assert set(data["bundles"][0]["types"]) == {"finding", "weird", "record"}
    assert data["findings"][0]["reasons"] == ["x"]
    assert "no severity, reasons as a string" in html


def test_report_is_written_into_an_open_bundle_before_it_is_sealed(tmp_path: Path) -> None:
    bundle = tmp_path / "live.zip"
    records = {
        "records/processes.jsonl": [process(7, 1, "xmrig", ["xmrig", "-o", "pool:3333"])],
    }
    finding = Finding(title="miner", severity="critical", source="test", pid=7)
    with bundle.open("wb") as sink:
        writer = EvidenceWriter(sink, command_line=["irkit", "test"])
        writer.host["hostname"] = "live"
        crontab = tmp_path / "crontab"
        crontab.write_text("* * * * * root /tmp/xmrig\n")
        with crontab.open("rb") as handle:
            writer.copy_open_file(handle, "/etc/crontab", "files/etc/crontab", collector="test")
        for member, items in records.items():
            writer.write_bytes(member, jsonl(items), collector="test")
        writer.write_records("records/findings.jsonl", [finding], collector="test")
        write_report_member(
            writer, {**records, "records/findings.jsonl": [finding]}, iocs=["203.0.113.9"]
        )
        writer.close(complete=True)
    assert verify_bundle(bundle).intact
    with BundleReader(bundle) as reader:
        html = reader.read(REPORT_MEMBER).decode()
        assert REPORT_MEMBER in {m.name for m in reader.manifest.members}
    data = embedded_data(html)
    assert data["summary"]["verdict"] == "COMPROMISED"
    assert data["iocs"][0]["value"] == "203.0.113.9"
    types = {data["timeline"]["types"][e[1]] for e in data["timeline"]["events"]}
    assert {"process", "file", "log"} <= types
    assert "before its manifest sealed it" in html


def test_a_report_for_a_sealed_bundle_matches_the_one_from_its_view(tmp_path: Path) -> None:
    with BundleReader(scenario_bundle(tmp_path)) as reader:
        view = view_from_reader(reader)
        data = embedded_data(report_from_reader(reader).decode())
    assert len(data["timeline"]["events"]) > 20
    assert data["summary"]["hosts"] == [view.label]
    assert data["findings"][0]["title"].startswith("Miner hiding")
