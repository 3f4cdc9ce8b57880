"""The one verdict rule (docs/review.md, "Verdict"): every row of its table, and the same verdict
in the analysis record, the summary, `review --json`, the terminal and report.html."""

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from minersample import synthetic_monero_wallet

from irkit.analysis.heuristics import analyse
from irkit.analysis.verdict import RULE, judge
from irkit.evidence.records import Finding
from irkit.evidence.view import view_from_parts
from irkit.playbook import AnalysisSettings
from irkit.report.summary import summarize
from tests.reportbundles import process, write_bundle

Run = Callable[..., subprocess.CompletedProcess[bytes]]
WALLET = synthetic_monero_wallet()


def finding(severity: str, title: str, source: str = "heuristic", **extra: Any) -> dict[str, Any]:
    return Finding(title=title, severity=severity, source=source, **extra).to_dict()


# One example per row of the table in docs/review.md.
ROWS = [
    ("critical", [finding("critical", "likely miner: pid 7 (kworker/0:2)")], "COMPROMISED"),
    ("high", [finding("high", "tunnel: pid 9 (ssh)"), finding("low", "noted")], "COMPROMISED"),
    ("medium", [finding("medium", "suspicious: pid 5 (x)")], "SUSPICIOUS"),
    ("low", [finding("low", "noted: pid 3 (python3)")], "CLEAN"),
    ("info", [finding("info", "a note")], "CLEAN"),
    ("none", [], "CLEAN"),
]


def test_the_table_covers_every_severity() -> None:
    assert [row[0] for row in ROWS[:-1]] == [severity for severity, _ in RULE]
    assert [row[2] for row in ROWS[:-1]] == [verdict for _, verdict in RULE]


@pytest.mark.parametrize(("row", "findings", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_each_row_of_the_rule(row: str, findings: list[dict[str, Any]], expected: str) -> None:
    judgement = judge(findings)
    assert judgement.verdict == expected
    if expected != "CLEAN":
        assert findings[0]["title"] in judgement.reason
    summary = summarize([view_from_parts({"records/findings.jsonl": findings})])
    assert (summary.verdict, summary.reason) == (judgement.verdict, judgement.reason)


def test_a_critical_memory_hit_with_other_highs_is_compromised() -> None:
    """The case the issue measured: no process verdict is "likely miner", yet a critical YARA hit
    (a pool login whose user is a wallet, in memory) sits beside high ones."""
    hits = [
        Finding("YARA Pool_Login_Wallet on process pid 40", "critical", "yara", pid=40),
        Finding("YARA Miner_Strings on file /opt/worker", "high", "yara", path="/opt/worker"),
    ]
    records = [process(1, 0, "systemd", ["/sbin/init"]), process(40, 1, "worker", ["/opt/w"])]
    analysis = analyse(records + [h.to_dict() for h in hits], AnalysisSettings())
    analysis.findings = hits + analysis.findings  # as the triage does
    verdict = analysis.verdict("high")
    assert verdict.verdict == "COMPROMISED"
    assert "Pool_Login_Wallet" in verdict.reason


def test_independent_high_signals_on_one_process_are_compromised() -> None:
    """A deleted exe, a pool connection and a wallet on one process: a critical likely miner."""
    records = [
        process(1, 0, "systemd", ["/sbin/init"]),
        process(
            77,
            1,
            "kworkerds",
            ["/tmp/k", "-u", WALLET],
            exe="/tmp/k (deleted)",
            flags=["exe-deleted"],
        ),
        {
            "type": "socket",
            "proto": "tcp",
            "pid": 77,
            "state": "ESTABLISHED",
            "remote_address": "198.51.100.4",
            "remote_port": 3333,
            "flags": ["pool-port"],
        },
    ]
    verdict = analyse(records, AnalysisSettings()).verdict("medium")
    assert verdict.verdict == "COMPROMISED"
    assert "likely miner: pid 77" in verdict.reason


DATA_BLOCK = re.compile(r'<script type="application/json" id="irkit-data">(.*?)</script>', re.S)


@pytest.mark.parametrize("row", ["critical", "medium", "low"])
def test_terminal_json_and_report_agree(tmp_path: Path, run_irkit: Run, row: str) -> None:
    findings = next(r[1] for r in ROWS if r[0] == row)
    expected = judge(findings)
    # A stale verdict record that disagrees with the findings never wins.
    stale = {"type": "verdict", "verdict": "CLEAN", "reason": "stale", "threshold": "medium",
             "findings_at_or_above": 0}  # fmt: skip
    bundle = write_bundle(
        tmp_path / "b.zip",
        {"records/findings.jsonl": findings, "records/analysis.jsonl": [stale]},
    )
    as_json = json.loads(run_irkit("review", bundle, "--json").stdout)
    assert (as_json["verdict"], as_json["reason"]) == (expected.verdict, expected.reason)
    terminal = run_irkit("review", bundle, "--html", tmp_path / "r.html").stdout.decode()
    verdict_line = next(line for line in terminal.splitlines() if not line.startswith("custody"))
    assert verdict_line.startswith(expected.verdict), terminal
    match = DATA_BLOCK.search((tmp_path / "r.html").read_text())
    assert match is not None
    assert json.loads(match.group(1))["summary"]["verdict"] == expected.verdict
