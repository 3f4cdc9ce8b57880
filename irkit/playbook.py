"""Playbooks: YAML files that decide what a triage collects, hunts and flags.

Validation walks the YAML node tree, not the loaded data, so every error can
name the file and line it comes from, and a broken playbook is refused before
anything runs.
"""

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from irkit.collectors.registry import COLLECTORS
from irkit.custody.settings import CustodySettings
from irkit.evidence.records import SEVERITIES
from irkit.hunt.rules import RuleError, RuleSet, compile_rules, default_rules_path, rule_files
from irkit.limits import LIMIT_NAMES, Limits

BUILTIN_DIR = Path(__file__).resolve().parent / "data" / "playbooks"
MAX_NESTING = 64
"""Deepest list/mapping nesting a playbook may have (real ones are about 5 deep): PyYAML
composes nodes recursively, so `[[[[...]]]]` 100,000 deep would end in a RecursionError."""
DEFAULT_PLAYBOOK = "cryptominer"
HUNT_TARGETS = (
    "process-exes",
    "flagged-processes",
    "all-processes",
    "persistence-targets",
    "paths",
)


class PlaybookError(Exception):
    def __init__(self, source: str, line: int | None, message: str) -> None:
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")
        self.source, self.line, self.message = source, line, message


@dataclass
class CollectorStep:
    name: str
    volatility: int
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class HuntStep:
    name: str
    targets: str
    rules: str | None = None
    """As the playbook wrote it: a file or directory, or a shipped rule file's name."""
    rules_path: Path | None = None
    """Where `rules` resolved: relative to the playbook's directory, else in the shipped pack."""
    rules_line: int | None = None
    paths: list[str] = field(default_factory=list)
    max_file_size: int = 64 << 20
    timeout: float = 30.0
    budget_seconds: float = 120.0


@dataclass
class AgentSpec:
    """How to recognise an autonomous agent's runtime, to trace flagged processes to it."""

    process_names: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    cgroups: list[str] = field(default_factory=list)


@dataclass
class AnalysisSettings:
    threshold: str = "medium"
    cpu_percent: float = 80.0
    gpu_allow: list[str] = field(default_factory=list)
    probe_burst: int = 20
    agent: AgentSpec | None = None


@dataclass
class Playbook:
    name: str
    description: str
    source: str
    collectors: list[CollectorStep]
    hunts: list[HuntStep]
    analysis: AnalysisSettings
    limits: Limits = field(default_factory=Limits)
    custody: CustodySettings = field(default_factory=CustodySettings)

    def plan(self) -> list[str]:
        """The ordered steps, as a responder reads them: most volatile first."""
        steps = [f"collect {c.name}" for c in self.collectors]
        steps += [f"hunt {h.name} ({h.targets})" for h in self.hunts]
        steps.append(f"analyse (threshold {self.analysis.threshold})")
        return steps

    def to_dict(self) -> dict[str, Any]:
        """The playbook as `irkit playbook show` prints it (YAML or JSON): the plan in the
        order it runs, then every setting with its value after defaults were applied."""
        hunts = [asdict(h) | {"rules_path": _text(h.rules_path)} for h in self.hunts]
        return {
            "name": self.name,
            "source": self.source,
            "description": self.description,
            "plan": self.plan(),
            "collectors": [asdict(c) for c in self.collectors],
            "hunts": [{k: v for k, v in h.items() if k != "rules_line"} for h in hunts],
            "analysis": asdict(self.analysis),
            "limits": asdict(self.limits),
            "custody": {
                "sign": _text(self.custody.sign),
                "encrypt_to": list(self.custody.encrypt_to),
            },
        }

    def collector_options(self) -> dict[str, dict[str, Any]]:
        return {c.name: c.options for c in self.collectors}

    def hunt_rules(self) -> dict[Path, RuleSet]:
        """Compile every hunt's own `rules:` once; a rule that does not compile is a
        PlaybookError naming the playbook line and the rule's file and line."""
        compiled: dict[Path, RuleSet] = {}
        for hunt in self.hunts:
            if hunt.rules_path is None or hunt.rules_path in compiled:
                continue
            try:
                compiled[hunt.rules_path] = compile_rules(hunt.rules_path)
            except (RuleError, OSError) as exc:
                raise PlaybookError(
                    self.source, hunt.rules_line, f"the rules of hunt {hunt.name!r}: {exc}"
                ) from exc
        return compiled


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


class _Checker:
    """Reads typed values out of YAML nodes, raising PlaybookError with the node's line."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: yaml.Node | None, message: str) -> PlaybookError:
        line = node.start_mark.line + 1 if node is not None else None
        return PlaybookError(self.source, line, message)

    def mapping(
        self, node: yaml.Node, what: str, allowed: tuple[str, ...] | None = None
    ) -> dict[str, yaml.Node]:
        if isinstance(node, yaml.ScalarNode) and node.value in ("", "null", "~"):
            return {}
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping (key: value lines)")
        items: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = str(key.value)
            if allowed is not None and name not in allowed:
                raise self.fail(
                    key, f"unknown key {name!r} in {what}; expected one of: " + ", ".join(allowed)
                )
            if name in items:
                raise self.fail(key, f"{name!r} appears twice in {what}")
            items[name] = value
        return items

    def scalar(self, node: yaml.Node, what: str, kind: type) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{what} must be a {kind.__name__}")
        value = yaml.safe_load(yaml.serialize(node))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind is str and value is not None and not isinstance(value, str):
            value = str(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.fail(node, f"{what} must be a {kind.__name__}, not {node.value!r}")
        return value

    def scalars(self, node: yaml.Node, what: str) -> list[Any]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list")
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                raise self.fail(item, f"the items of {what} must be plain values")
        return [yaml.safe_load(yaml.serialize(item)) for item in node.value]

    def strings(self, node: yaml.Node, what: str) -> list[str]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list")
        return [self.scalar(item, f"an item of {what}", str) for item in node.value]


def _collectors(check: _Checker, node: yaml.Node) -> list[CollectorStep]:
    known = {c.name: c for c in COLLECTORS}
    steps = []
    for name, value in check.mapping(node, "collectors").items():
        collector = known.get(name)
        if collector is None:
            key = next(k for k, _ in node.value if k.value == name)
            raise check.fail(key, f"unknown collector {name!r}; known: {', '.join(known)}")
        spec = collector.option_types
        options = {}
        for option, option_node in check.mapping(value, f"options of {name}", tuple(spec)).items():
            what = f"{name}.{option}"
            options[option] = (
                check.scalars(option_node, what)
                if spec[option] is list
                else check.scalar(option_node, what, spec[option])
            )
        steps.append(CollectorStep(name, collector.volatility, options))
    return sorted(steps, key=lambda s: s.volatility)


_HUNT_KEYS = ("name", "targets", "rules", "paths", "max_file_size", "timeout", "budget_seconds")


def _hunt(check: _Checker, node: yaml.Node) -> HuntStep:
    items = check.mapping(node, "a hunt", _HUNT_KEYS)
    for required in ("name", "targets"):
        if required not in items:
            raise check.fail(node, f"a hunt needs {required!r}")
    targets = check.scalar(items["targets"], "hunt targets", str)
    if targets not in HUNT_TARGETS:
        raise check.fail(
            items["targets"],
            f"unknown hunt target {targets!r}; expected one of: " + ", ".join(HUNT_TARGETS),
        )
    hunt = HuntStep(name=check.scalar(items["name"], "hunt name", str), targets=targets)
    if "rules" in items:
        hunt.rules = check.scalar(items["rules"], "hunt rules", str)
        hunt.rules_path = _rules_path(check, items["rules"], hunt.rules)
        hunt.rules_line = items["rules"].start_mark.line + 1
    if "paths" in items:
        hunt.paths = check.strings(items["paths"], "hunt paths")
    if targets == "paths" and not hunt.paths:
        raise check.fail(node, "a hunt with targets: paths needs a 'paths' list")
    if "max_file_size" in items:
        hunt.max_file_size = check.scalar(items["max_file_size"], "max_file_size", int)
    for key in ("timeout", "budget_seconds"):
        if key in items:
            setattr(hunt, key, check.scalar(items[key], key, float))
    return hunt


def _rules_path(check: _Checker, node: yaml.Node, rules: str) -> Path:
    """A file or directory relative to the playbook's own directory, else a rule file of the
    shipped pack by name (`miners_cpu` or `miners_cpu.yar`)."""
    own = Path(check.source).parent / rules
    if own.exists():
        try:
            rule_files(own)
        except RuleError as exc:
            raise check.fail(node, f"hunt rules: {exc}") from exc
        return own
    if "/" not in rules:
        for suffix in ("", ".yar", ".yara"):
            shipped = default_rules_path() / (rules + suffix)
            if shipped.is_file():
                return shipped
    raise check.fail(
        node,
        f"hunt rules {rules!r}: no such rule file or directory (relative to "
        f"{Path(check.source).parent}), and not a shipped rule file",
    )


def _limits(check: _Checker, node: yaml.Node) -> Limits:
    """Size caps in bytes: each a positive int (`docs/playbooks.md` lists them)."""
    values = {}
    for key, value in check.mapping(node, "limits", LIMIT_NAMES).items():
        values[key] = check.scalar(value, f"limits.{key}", int)
        if values[key] <= 0:
            raise check.fail(value, f"limits.{key} must be a positive number of bytes")
    return replace(Limits(), **values)


def _custody(check: _Checker, node: yaml.Node) -> CustodySettings:
    """`sign:` a signing key's path and `encrypt_to:` recipients (or files of them); paths
    are relative to the playbook's directory."""
    items = check.mapping(node, "custody", ("sign", "encrypt_to"))
    here = Path(check.source).parent
    settings = CustodySettings()
    if "sign" in items:
        settings.sign = here / check.scalar(items["sign"], "custody.sign", str)
    for value in (
        check.strings(items["encrypt_to"], "custody.encrypt_to") if "encrypt_to" in items else []
    ):
        is_key = value.startswith(("age1", "ssh-"))
        settings.encrypt_to.append(value if is_key else str(here / value))
    return settings


def _analysis(check: _Checker, node: yaml.Node) -> AnalysisSettings:
    items = check.mapping(
        node, "analysis", ("threshold", "cpu_percent", "gpu_allow", "probe_burst", "agent")
    )
    settings = AnalysisSettings()
    if "threshold" in items:
        settings.threshold = check.scalar(items["threshold"], "threshold", str)
        if settings.threshold not in SEVERITIES:
            raise check.fail(
                items["threshold"], f"threshold must be one of {', '.join(SEVERITIES)}"
            )
    if "cpu_percent" in items:
        settings.cpu_percent = check.scalar(items["cpu_percent"], "cpu_percent", float)
    if "gpu_allow" in items:
        settings.gpu_allow = check.strings(items["gpu_allow"], "gpu_allow")
    if "probe_burst" in items:
        settings.probe_burst = check.scalar(items["probe_burst"], "probe_burst", int)
    if "agent" in items:
        agent = check.mapping(items["agent"], "agent", ("process_names", "users", "cgroups"))
        settings.agent = AgentSpec(
            **{key: check.strings(value, f"agent.{key}") for key, value in agent.items()}
        )
    return settings


def _check_nesting(text: str, source: str) -> None:
    """Refuse nesting deeper than MAX_NESTING from the event stream (PyYAML's parser is a
    state machine, not recursive), before the recursive composer sees it."""
    depth = 0
    for event in yaml.parse(text):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                line = event.start_mark.line + 1 if event.start_mark is not None else None
                raise PlaybookError(
                    source, line, f"nesting too deep (more than {MAX_NESTING} levels)"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def parse_playbook(text: str, source: str) -> Playbook:
    check = _Checker(source)
    try:
        _check_nesting(text, source)
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise PlaybookError(source, line, f"not valid YAML: {exc.problem}") from exc
    if root is None:
        raise PlaybookError(source, 1, "the playbook is empty")
    items = check.mapping(
        root,
        "the playbook",
        ("name", "description", "collectors", "hunts", "analysis", "limits", "custody"),
    )
    if "name" not in items:
        raise check.fail(root, "a playbook needs a 'name'")
    if "collectors" not in items:
        raise check.fail(root, "a playbook needs 'collectors' (what to collect)")
    hunts_node = items.get("hunts")
    if hunts_node is not None and not isinstance(hunts_node, yaml.SequenceNode):
        raise check.fail(hunts_node, "hunts must be a list of hunts (lines starting with '-')")
    return Playbook(
        name=check.scalar(items["name"], "name", str),
        description=check.scalar(items["description"], "description", str)
        if "description" in items
        else "",
        source=source,
        collectors=_collectors(check, items["collectors"]),
        hunts=[_hunt(check, h) for h in (hunts_node.value if hunts_node is not None else [])],
        analysis=_analysis(check, items["analysis"]) if "analysis" in items else AnalysisSettings(),
        limits=_limits(check, items["limits"]) if "limits" in items else Limits(),
        custody=_custody(check, items["custody"]) if "custody" in items else CustodySettings(),
    )


def builtin_playbooks() -> dict[str, Path]:
    return {p.stem: p for p in sorted(BUILTIN_DIR.glob("*.yaml"))}


def resolve_playbook(name_or_path: str) -> Path:
    builtin = builtin_playbooks()
    if name_or_path in builtin:
        return builtin[name_or_path]
    path = Path(name_or_path)
    if path.is_file():
        return path
    raise PlaybookError(
        name_or_path, None, f"no such playbook file, and not a built-in one ({', '.join(builtin)})"
    )


def load_playbook(name_or_path: str) -> Playbook:
    path = resolve_playbook(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError(str(path), None, f"cannot read it: {exc}") from exc
    return parse_playbook(text, str(path))
