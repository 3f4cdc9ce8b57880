"""The triage's terminal summary reads a view of the findings, IOCs and failed log entries only:
it says what the summary of the whole open bundle says (`irkit review` prints that one)."""

import io

from irkit.analysis.iocs import Ioc
from irkit.collectors.persistence import PersistenceRecord
from irkit.commands.triage import summary_view
from irkit.evidence.records import Finding
from irkit.evidence.view import view_from_writer
from irkit.evidence.writer import EvidenceWriter
from irkit.report.summary import summarize


def test_the_summary_of_the_findings_is_the_bundles() -> None:
    writer = EvidenceWriter(io.BytesIO(), command_line=["irkit", "triage"])
    writer.host["hostname"] = "web-1"
    entries = [
        PersistenceRecord("cron", f"/etc/cron.d/job{n}", 1, "root", "* * * * *", f"/bin/t{n}")
        for n in range(50)
    ]
    writer.write_records("records/persistence.jsonl", entries, collector="persistence")
    findings = [
        Finding("cron persistence: /etc/cron.d/x:1", "high", "heuristic", ["it starts a miner"]),
        Finding("YARA rule on /opt/x", "critical", "yara", path="/opt/x", rule="r"),
        Finding("odd", "low", "heuristic"),
    ]
    writer.write_records("records/findings.jsonl", findings, collector="analysis")
    iocs = [Ioc("pool-url", "stratum+tcp://p.example:3333", "cmdline", finding="odd")]
    writer.write_records("records/iocs.jsonl", iocs, collector="analysis")
    writer.log.add("copy", "persistence", "error", "PermissionError: Permission denied",
                   path="/etc/cron.d/secret")  # fmt: skip
    writer.log.add("list", "persistence", "error", "OSError: I/O error", path="/etc/cron.d")
    whole = summarize([view_from_writer(writer, writer.records_by_member)])
    assert summarize([summary_view(writer)]) == whole
    assert whole.unseen == ["/etc/cron.d/secret"] and len(whole.findings) == 3 and whole.iocs
