"""What a responder reads first: the verdict, the findings by severity, the IOCs.

Shared by the terminal summary and the HTML report so both always say the same thing.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from irkit.analysis.verdict import judge
from irkit.evidence.coverage import caveat, unseen
from irkit.evidence.records import SEVERITIES, severity_rank
from irkit.evidence.view import BundleView


@dataclass
class Summary:
    verdict: str
    reason: str
    findings: list[dict[str, Any]]
    """Each finding with a `host` key added, most severe first."""
    by_severity: dict[str, int]
    iocs: list[dict[str, Any]] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    unseen: list[str] = field(default_factory=list)
    """What the collection could not read (denied reads in its log); the reason names it."""


def _ioc_rows(raw: Any, host: str) -> list[dict[str, Any]]:
    """iocs.json may be a list of objects or strings, or an object of lists by IOC kind."""
    rows: list[dict[str, Any]] = []
    if isinstance(raw, dict):
        for kind, values in raw.items():
            for value in values if isinstance(values, list) else [values]:
                rows.extend(
                    _ioc_rows([value], host)
                    if isinstance(value, dict)
                    else [{"kind": kind, "value": value, "host": host}]
                )
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict):
                rows.append({**item, "host": host})
            else:
                rows.append({"kind": "", "value": item, "host": host})
    return rows


def collect_iocs(view: BundleView) -> list[dict[str, Any]]:
    """IOC records (type "ioc") and the iocs.json member, without duplicates."""
    rows = [{**r, "host": view.label} for r in view.of_type("ioc")]
    rows.extend(_ioc_rows(view.iocs, view.label))
    seen: set[tuple[str, str]] = set()
    unique = []
    for row in rows:
        key = (str(row.get("kind") or row.get("ioc_type") or ""), str(row.get("value")))
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


FINDING_DEFAULTS: dict[str, Any] = {
    "title": "(untitled finding)",
    "severity": "info",
    "source": "",
    "pid": None,
    "path": None,
    "socket": None,
    "rule": None,
    "time": None,
}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def normalize_finding(record: dict[str, Any], host: str) -> dict[str, Any]:
    """A finding with every field the report reads, whatever a producer left out."""
    finding = {**FINDING_DEFAULTS, **record, "host": host}
    for key in ("reasons", "mitre", "evidence"):
        finding[key] = _as_list(record.get(key))
    return finding


def summarize(views: Sequence[BundleView]) -> Summary:
    findings = [normalize_finding(f, v.label) for v in views for f in v.of_type("finding")]
    findings.sort(key=lambda f: -severity_rank(str(f.get("severity"))))
    counts = Counter(str(f.get("severity")) for f in findings)
    by_severity = {s: counts[s] for s in reversed(SEVERITIES) if counts[s]}
    by_severity.update({s: n for s, n in counts.items() if s not in SEVERITIES})
    judgement = judge(findings)
    blind = [
        f"{view.label}: {item}" if len(views) > 1 else item
        for view in views
        for item in unseen(view.log)
    ]
    return Summary(
        verdict=judgement.verdict,
        reason=caveat(judgement.reason, blind),
        findings=findings,
        by_severity=by_severity,
        iocs=[i for v in views for i in collect_iocs(v)],
        hosts=[v.label for v in views],
        unseen=blind,
    )
