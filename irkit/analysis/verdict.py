"""The one rule that turns findings into a host verdict.

The terminal summary, `triage --json`, `review` (terminal and `--json`), report.html and the
`verdict` record all call `judge`, so a bundle never reads COMPROMISED in one place and
SUSPICIOUS in another. The rule follows the most severe finding (docs/review.md, "Verdict"):
a finding's severity already weighs its signals (a process is a critical "likely miner" only
when independent signals agree), so the verdict does not weigh them a second time.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from irkit.evidence.records import severity_rank

COMPROMISED = "COMPROMISED"
SUSPICIOUS = "SUSPICIOUS"
CLEAN = "CLEAN"
RULE: tuple[tuple[str, str], ...] = (
    ("critical", COMPROMISED),
    ("high", COMPROMISED),
    ("medium", SUSPICIOUS),
    ("low", CLEAN),
    ("info", CLEAN),
)
"""Most severe finding → verdict; no finding at all is CLEAN too."""
_BY_SEVERITY = dict(RULE)
_SHOWN = 3


@dataclass(frozen=True)
class Judgement:
    verdict: str
    reason: str


def judge(findings: Iterable[Mapping[str, Any]]) -> Judgement:
    """The verdict over findings (dicts with `severity` and `title`), with the reason naming
    the most severe ones. Heuristic findings come first among equals: "likely miner: pid N"
    says more than the YARA rule that fed it."""
    ranked = sorted(
        (f for f in findings if isinstance(f, Mapping)),
        key=lambda f: (-severity_rank(str(f.get("severity"))), f.get("source") != "heuristic"),
    )
    if not ranked:
        return Judgement(CLEAN, "no finding was recorded")
    worst = str(ranked[0].get("severity"))
    worst = worst if worst in _BY_SEVERITY else "info"
    verdict = _BY_SEVERITY[worst]
    if verdict == CLEAN:
        return Judgement(CLEAN, f"no finding above low ({len(ranked)} low or info note(s))")
    top = [f for f in ranked if str(f.get("severity")) == worst]
    titles = "; ".join(str(f.get("title") or "(untitled finding)") for f in top[:_SHOWN])
    more = f" and {len(top) - _SHOWN} more" if len(top) > _SHOWN else ""
    return Judgement(verdict, f"{len(top)} {worst} finding(s): {titles}{more}")
