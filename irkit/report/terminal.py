"""The summary printed in a terminal: verdict, findings by severity, IOCs.

Every string that came from the host goes through `console.host()`, so a file name holding an
ANSI escape or rich markup prints as visible text and cannot repaint the responder's terminal.
"""

from collections.abc import Sequence
from typing import Any

from rich.console import Console

from irkit.console import host, out
from irkit.evidence.records import severity_rank
from irkit.report.summary import Summary

SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}
VERDICT_STYLE = {"COMPROMISED": "bold white on red", "SUSPICIOUS": "bold yellow"}


def _where(finding: dict[str, Any]) -> str:
    parts = []
    if finding.get("pid") is not None:
        parts.append(f"pid {finding['pid']}")
    for key in ("path", "socket", "rule"):
        if finding.get(key):
            parts.append(f"{key} {finding[key]}")
    return ", ".join(parts)


def print_summary(
    summary: Summary,
    console: Console = out,
    *,
    max_iocs: int = 50,
    detail_from: str = "info",
    banners: Sequence[str] = (),
    custody: Sequence[str] = (),
) -> None:
    """Findings below `detail_from` are counted, not listed: the report has them all.
    `banners` (NOT INTACT lines of a review run with --allow-not-intact) come first, so no
    verdict reads alone; then `custody`, one line per bundle (irkit.report.custody)."""
    for banner in banners:
        console.print(f"[bold white on red]{host(banner)}[/]")
    for line in custody:
        console.print(f"[dim]custody[/] {host(line)}")
    _print_verdict(summary, console)
    listed = [
        f
        for f in summary.findings
        if severity_rank(str(f.get("severity"))) >= severity_rank(detail_from)
    ]
    for finding in listed:
        _print_finding(finding, console, several_hosts=len(summary.hosts) > 1)
    if len(listed) < len(summary.findings):
        console.print(
            f"  … {len(summary.findings) - len(listed)} finding(s) below {host(detail_from)}"
            " are in report.html"
        )
    _print_iocs(summary.iocs, console, max_iocs)


def _print_verdict(summary: Summary, console: Console) -> None:
    """The verdict line with the hosts and reason, then the counts by severity."""
    style = VERDICT_STYLE.get(summary.verdict, "bold green")
    hosts = ", ".join(summary.hosts)
    console.print(f"[{style}]{host(summary.verdict)}[/] {host(hosts)}: {host(summary.reason)}")
    if summary.by_severity:
        counts = ", ".join(
            f"[{SEVERITY_STYLE.get(s, '')}]{n} {host(s)}[/]" for s, n in summary.by_severity.items()
        )
        console.print(f"findings: {counts}")


def _print_finding(finding: dict[str, Any], console: Console, *, several_hosts: bool) -> None:
    """One finding: severity, title (and host when several), where, reasons, ATT&CK."""
    severity = str(finding.get("severity"))
    label = f"[{SEVERITY_STYLE.get(severity, '')}]{host(severity):>8}[/]"
    where = _where(finding)
    line = f"{label} {host(finding.get('title', ''))}"
    if several_hosts:
        line += f" [dim]({host(finding['host'])})[/]"
    console.print(line + (f" [dim]— {host(where)}[/]" if where else ""))
    for reason in finding.get("reasons") or []:
        console.print(f"           · {host(reason)}")
    mitre = finding.get("mitre") or []
    if mitre:
        console.print(f"           [dim]ATT&CK {host(', '.join(map(str, mitre)))}[/]")


def _print_iocs(iocs: list[dict[str, Any]], console: Console, max_iocs: int) -> None:
    """The first `max_iocs` IOCs, each with the finding it belongs to."""
    if not iocs:
        return
    console.print(f"IOCs ({len(iocs)}):")
    for ioc in iocs[:max_iocs]:
        kind = ioc.get("kind") or ioc.get("ioc_type") or "ioc"
        belongs = f" [dim]({host(ioc['finding'])})[/]" if ioc.get("finding") else ""
        console.print(f"  {host(kind)}: {host(ioc.get('value'))}{belongs}")
    if len(iocs) > max_iocs:
        console.print(f"  … {len(iocs) - max_iocs} more in the report")
