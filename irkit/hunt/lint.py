"""`irkit rules check`: compile each rule file and lint what the pack's conventions need.

Every rule must carry meta description, severity (one of irkit's SEVERITIES), reference,
mitre and date, and rule names must be unique across the set (one merged rule set is
compiled per pass). Problems name file and line. The rule text is read with a light
line-based parser: it understands `rule NAME`, `meta:` blocks and whole-line comments,
which is what rule files written in the usual style contain.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from irkit.evidence.records import SEVERITIES
from irkit.hunt.rules import Problem, RuleError, compile_sources, rule_files, yara_warning
from irkit.hunt.yarax import load_yarax, yarax_problems

REQUIRED_META = ("description", "severity", "reference", "mitre", "date")
MARKER_CAPS = ("low", "none")

_RULE = re.compile(
    r"^\s*(?P<modifiers>(?:(?:private|global)\s+)*)rule\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
)
_SECTION = re.compile(r"^\s*(?P<section>meta|strings|condition)\s*:")
_META = re.compile(r"^\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)\s*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class RuleInfo:
    name: str
    file: str
    line: int
    private: bool = False
    meta: dict[str, tuple[str, int]] = field(default_factory=dict)


@dataclass
class CheckReport:
    files: list[str] = field(default_factory=list)
    rules: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


def _uncomment(lines: list[str]) -> list[str]:
    """Blank out whole-line // comments and /* ... */ blocks that start a line."""
    out, in_block = [], False
    for line in lines:
        stripped = line.strip()
        if in_block:
            out.append("")
            in_block = "*/" not in stripped
            continue
        if stripped.startswith("/*"):
            in_block = "*/" not in stripped[2:]
            out.append("")
        elif stripped.startswith("//"):
            out.append("")
        else:
            out.append(line)
    return out


def parse_rules(path: Path) -> list[RuleInfo]:
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    rules: list[RuleInfo] = []
    section = None
    for number, line in enumerate(_uncomment(text.splitlines()), start=1):
        declared = _RULE.match(line)
        if declared:
            private = "private" in declared["modifiers"]
            rules.append(RuleInfo(declared["name"], str(path), number, private))
            section = None
            continue
        found = _SECTION.match(line)
        if found:
            section = found["section"]
            continue
        if section == "meta" and rules:
            entry = _META.match(line)
            if entry:
                rules[-1].meta[entry["key"]] = (entry["value"].strip('"'), number)
    return rules


def lint_rule(rule: RuleInfo) -> list[Problem]:
    problems = []
    for key in REQUIRED_META:
        if key not in rule.meta or not rule.meta[key][0]:
            problems.append(Problem(rule.file, rule.line, f"rule {rule.name}: no meta {key}"))
    if "severity" in rule.meta:
        value, line = rule.meta["severity"]
        if value not in SEVERITIES:
            known = ", ".join(SEVERITIES)
            problems.append(
                Problem(rule.file, line, f"rule {rule.name}: severity {value!r} not one of {known}")
            )
    if "date" in rule.meta and rule.meta["date"][0] and not _DATE.match(rule.meta["date"][0]):
        problems.append(
            Problem(rule.file, rule.meta["date"][1], f"rule {rule.name}: date is not YYYY-MM-DD")
        )
    return problems + lint_marker(rule)


def lint_marker(rule: RuleInfo) -> list[Problem]:
    """A mention marker (meta `cap`, see mentions.yar) caps to "low" or "none"; one that lets a
    tree walk skip files (meta `skip`: suffixes) must say what it skips as (`container`)."""
    problems = []
    if "cap" in rule.meta and rule.meta["cap"][0] not in MARKER_CAPS:
        value, line = rule.meta["cap"]
        problems.append(Problem(rule.file, line, f"rule {rule.name}: cap {value!r} not low/none"))
    if "skip" in rule.meta:
        value, line = rule.meta["skip"]
        if "cap" not in rule.meta or "container" not in rule.meta:
            problems.append(
                Problem(rule.file, line, f"rule {rule.name}: skip without cap and container")
            )
        if not value.split() or not all(s.startswith(".") for s in value.split()):
            problems.append(Problem(rule.file, line, f"rule {rule.name}: skip is not .suffixes"))
    return problems


def check_rules(source: Path) -> CheckReport:
    """Compile every file on its own (so each syntax error is named), then lint them all.
    With the yara-x package installed, YARA-X compiles each file too and adds its warnings."""
    report = CheckReport()
    yara_x = load_yarax()
    try:
        files = rule_files(source)
    except RuleError as exc:
        report.problems.extend(exc.problems)
        return report
    seen: dict[str, RuleInfo] = {}
    for path in files:
        report.files.append(str(path))
        try:
            compiled = compile_sources({"check": str(path)})
        except RuleError as exc:
            report.problems.extend(exc.problems)
            continue
        for warning in getattr(compiled, "warnings", None) or []:
            report.problems.append(yara_warning(warning, str(path)))
        if yara_x is not None:
            report.problems.extend(yarax_problems(yara_x, path))
        for rule in parse_rules(path):
            report.rules += 1
            report.problems.extend(lint_rule(rule))
            first = seen.setdefault(rule.name, rule)
            if first is not rule:
                report.problems.append(
                    Problem(
                        rule.file,
                        rule.line,
                        f"rule {rule.name} already defined at {first.file}:{first.line}",
                    )
                )
    return report
