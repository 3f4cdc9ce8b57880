"""The incident a report opens on: the flagged processes as a lineage tree, each finding's
evidence gathered from the records it rests on, and the incident window on the timeline.

A responder should not have to join records by hand: a finding names a pid, a path or a
YARA rule; here the process (its command line), the persistence entry (the cron or unit
line), the YARA hit (its strings and offsets) and the sockets are looked up and put beside it.
Only findings at or above FLAG_SEVERITY flag a process: the low "noted" ones of a busy live
host (container runtimes running from memfd) would otherwise fill the tree and stretch the
window over the host's whole uptime.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from irkit.evidence.records import severity_rank
from irkit.evidence.view import BundleView
from irkit.timeline.events import EPOCH, ONE_MICROSECOND, as_text, endpoint, to_microseconds

FLAG_SEVERITY = "medium"
MAX_DEPTH = 64
"""Ancestors followed per flagged process: a parent chain longer than this is a loop or a lie."""
INDEXED = frozenset({"process", "socket", "persistence", "yara-hit"})
"""The record types a finding refers to (`_Host.add`)."""
MAX_STRINGS = 8
"""YARA strings shown per finding (the hit record keeps up to 16, the members all of them)."""


def is_serious(finding: dict[str, Any]) -> bool:
    """At or above FLAG_SEVERITY: flags its process, sets the window, is shown first."""
    return severity_rank(str(finding.get("severity"))) >= severity_rank(FLAG_SEVERITY)


def _listed(value: Any) -> list[Any]:
    """A list field as a list, whatever a hostile bundle put there instead."""
    return value if isinstance(value, list) else []


def socket_line(socket: dict[str, Any]) -> str:
    """`tcp 10.0.0.5:41234 → 203.0.113.7:3333 ESTABLISHED [pool-port]`."""
    local = endpoint(socket.get("local_address"), socket.get("local_port"))
    line = f"{as_text(socket.get('proto'))} {local}"
    state = as_text(socket.get("state"))
    remote = endpoint(socket.get("remote_address"), socket.get("remote_port"))
    if state != "LISTEN" and remote:
        line += f" → {remote}"
    line += f" {state}"
    flags = socket.get("flags")
    if flags:
        line += f" [{as_text(flags)}]"
    return line.strip()


def persistence_line(entry: dict[str, Any]) -> str:
    """The entry as the host file has it: a cron line, `ExecStart=...` of a unit, the command."""
    command = as_text(entry.get("command"))
    detail = entry.get("detail")
    key = detail.get("key") if isinstance(detail, dict) else None
    if entry.get("mechanism") == "cron" and entry.get("schedule"):
        owner = f" {entry['owner']}" if entry.get("owner") else ""
        return f"{entry['schedule']}{owner} {command}"
    if key:
        return f"{as_text(key)}={command}"
    return command


def persistence_where(entry: dict[str, Any]) -> str:
    line = entry.get("line")
    return f"{as_text(entry.get('source'))}" + (f":{line}" if line else "")


@dataclass
class Evidence:
    """One line of evidence shown inline with a finding."""

    label: str
    value: str
    member: str | None = None


@dataclass
class _Host:
    """One host's records, indexed the ways findings refer to them."""

    processes: dict[int, dict[str, Any]] = field(default_factory=dict)
    sockets: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    persistence: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    hits: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, view: BundleView, sources: Set[str]) -> None:
        """Index the view's records of the kinds findings refer to; of the persistence
        entries, only those of `sources` (the paths findings name): a host's 50,000 cron lines
        are not held twice for the few a finding names."""
        for item in view.records:
            kind = item.type
            if kind not in INDEXED:
                continue
            if kind == "persistence" and as_text(item.get("source")) not in sources:
                continue
            record = item.data
            pid = record.get("pid")
            if kind == "process" and isinstance(pid, int):
                self.processes.setdefault(pid, record)
            elif kind == "socket":
                owners = [o for o in [pid, *_listed(record.get("pids"))] if isinstance(o, int)]
                for owner in dict.fromkeys(owners):
                    self.sockets[owner].append(record)
            elif kind == "persistence":
                self.persistence[as_text(record.get("source"))].append(record)
            elif kind == "yara-hit":
                self.hits[_rule_name(record)].append(record)

    def persistence_of(self, finding: dict[str, Any]) -> list[dict[str, Any]]:
        """The entries a persistence finding names (`cron persistence: /etc/crontab:2`)."""
        entries = self.persistence.get(as_text(finding.get("path")), [])
        title = as_text(finding.get("title"))
        named = [e for e in entries if title.endswith(f"persistence: {persistence_where(e)}")]
        return named

    def hits_of(self, finding: dict[str, Any]) -> list[dict[str, Any]]:
        """The YARA hit a finding was made from: same rule, same target as its title says."""
        title = as_text(finding.get("title"))
        hits = self.hits.get(as_text(finding.get("rule")), [])
        return [
            h
            for h in hits
            if title.endswith(f" on {as_text(h.get('target_kind'))} {as_text(h.get('target'))}")
        ]


def _rule_name(hit: dict[str, Any]) -> str:
    namespace, rule = as_text(hit.get("namespace")), as_text(hit.get("rule"))
    return f"{namespace}.{rule}" if namespace else rule


def _process_evidence(process: dict[str, Any]) -> list[Evidence]:
    command = as_text(process.get("cmdline")) or as_text(process.get("name"))
    items = [Evidence("command line", command)]
    if process.get("exe"):
        items.append(Evidence("executable", as_text(process["exe"]), process.get("exe_member")))
    return items


def _hit_evidence(hit: dict[str, Any]) -> list[Evidence]:
    strings = [s for s in _listed(hit.get("strings")) if isinstance(s, dict)]
    items = []
    for s in strings[:MAX_STRINGS]:
        offset = s.get("offset")
        at = f"{offset:#x}" if isinstance(offset, int) else as_text(offset)
        label = f"YARA {as_text(s.get('identifier'))} @ {at}"
        items.append(Evidence(label, as_text(s.get("excerpt"))))
    matches = hit.get("matches")
    if isinstance(matches, int) and matches > len(items):
        items.append(Evidence("YARA strings", f"{matches - len(items)} more match(es)"))
    return items


def finding_evidence(finding: dict[str, Any], host: _Host) -> list[Evidence]:
    """What the finding rests on, in the order a responder reads it."""
    items: list[Evidence] = []
    pid = finding.get("pid")
    process = host.processes.get(pid) if isinstance(pid, int) else None
    if process is not None:
        items.extend(_process_evidence(process))
    for entry in host.persistence_of(finding):
        label = "cron line" if entry.get("mechanism") == "cron" else "unit line"
        if entry.get("mechanism") not in ("cron", "systemd"):
            label = f"{as_text(entry.get('mechanism'))} entry"
        items.append(
            Evidence(
                f"{label} {persistence_where(entry)}", persistence_line(entry), entry.get("member")
            )
        )
    for hit in host.hits_of(finding):
        items.extend(_hit_evidence(hit))
    if finding.get("socket"):
        items.append(Evidence("socket", as_text(finding["socket"])))
    elif isinstance(pid, int):
        lines = (socket_line(s) for s in host.sockets.get(pid, []))
        items.extend(Evidence("socket", line) for line in lines if line)
    return items


@dataclass(frozen=True)
class Signal:
    """One reason a process is in the tree: `kind` is a severity, "flag" or "socket"."""

    kind: str
    text: str
    finding: int | None = None
    """The index of the finding it comes from (its card is `#finding-N`)."""


@dataclass
class Node:
    """A process in the lineage tree: flagged itself, or the ancestor of one that is."""

    pid: int
    name: str
    user: str
    exe: str
    cmdline: str
    start_time: str
    flagged: bool
    signals: list["Signal"]
    """The process's own flags, its findings and its flagged sockets."""
    children: list["Node"] = field(default_factory=list)


def _signal_text(finding: dict[str, Any]) -> str:
    """A YARA finding's title without its target (the node is the target): one rule that
    matched both the executable and the memory of a process is one signal."""
    title = as_text(finding.get("title"))
    return title.split(" on ", 1)[0] if finding.get("source") == "yara" else title


def _signals(
    pid: int, process: dict[str, Any], host: _Host, findings: list[tuple[int, dict[str, Any]]]
) -> list[Signal]:
    signals = [Signal("flag", as_text(flag)) for flag in _listed(process.get("flags"))]
    signals += [
        Signal(as_text(f.get("severity")), _signal_text(f), index)
        for index, f in findings
        if f.get("pid") == pid
    ]
    signals += [
        Signal("socket", socket_line(s)) for s in host.sockets.get(pid, []) if s.get("flags")
    ]
    first: dict[tuple[str, str], Signal] = {}
    for signal in signals:
        first.setdefault((signal.kind, signal.text), signal)
    return list(first.values())


def _node(
    pid: int, host: _Host, flagged: set[int], findings: list[tuple[int, dict[str, Any]]]
) -> Node:
    process = host.processes.get(pid, {"pid": pid})
    user = process.get("user")
    return Node(
        pid=pid,
        name=as_text(process.get("name")) or "?",
        user=as_text(user if user is not None else process.get("uid")),
        exe=as_text(process.get("exe")),
        cmdline=as_text(process.get("cmdline")),
        start_time=as_text(process.get("start_time")),
        flagged=pid in flagged,
        signals=_signals(pid, process, host, findings) if pid in flagged else [],
    )


def _lineage(
    host: _Host, flagged: set[int], findings: list[tuple[int, dict[str, Any]]]
) -> list[Node]:
    """The flagged processes and their ancestors, merged into one forest, lowest pid first.

    The parent links are the host's: a chain that loops back on itself, or runs longer than
    MAX_DEPTH, ends in a root of its own rather than in a cycle the page would follow forever."""
    nodes: dict[int, Node] = {}
    roots: list[Node] = []
    for start in sorted(flagged):
        if start in nodes:
            continue
        chain: set[int] = set()
        child: Node | None = None
        pid = start
        for _ in range(MAX_DEPTH):
            node = nodes[pid] = _node(pid, host, flagged, findings)
            chain.add(pid)
            if child is not None:
                node.children.append(child)
            child = node
            parent = host.processes.get(pid, {}).get("ppid")
            if not isinstance(parent, int) or parent in chain or parent not in host.processes:
                roots.append(node)
                break
            if parent in nodes:
                nodes[parent].children.append(node)
                break
            pid = parent
        else:
            if child is not None:
                roots.append(child)
    for node in nodes.values():
        node.children.sort(key=lambda n: n.pid)
    return sorted(roots, key=lambda n: n.pid)


@dataclass
class Incident:
    trees: list[tuple[str, list[Node]]]
    """(host, roots) for each host with a flagged process."""
    evidence: list[list[Evidence]]
    """For each finding of the summary, in its order."""
    window: tuple[int, int] | None
    """First and last signal, microseconds since the epoch; None when nothing is flagged."""

    @property
    def window_text(self) -> tuple[str, str] | None:
        if self.window is None:
            return None
        first, last = (
            (EPOCH + t * ONE_MICROSECOND).isoformat(timespec="microseconds") for t in self.window
        )
        return first.replace("+00:00", "Z"), last.replace("+00:00", "Z")


def _window(signals: Iterable[Any]) -> tuple[int, int] | None:
    times = [t for t in (to_microseconds(s) for s in signals) if t is not None]
    return (min(times), max(times)) if times else None


def build_incident(views: Sequence[BundleView], findings: list[dict[str, Any]]) -> Incident:
    """`findings` are the summary's (each with its `host`)."""
    hosts: dict[str, _Host] = defaultdict(_Host)
    sources = {as_text(f.get("path")) for f in findings}
    for view in views:
        hosts[view.label].add(view, sources)
    evidence = [finding_evidence(f, hosts[as_text(f.get("host"))]) for f in findings]
    serious = [f for f in findings if is_serious(f)]
    times: list[Any] = [f.get("time") for f in serious]
    trees = []
    for label, host in hosts.items():
        mine = [f for f in serious if f.get("host") == label]
        flagged = {f["pid"] for f in mine if isinstance(f.get("pid"), int)}
        times += [host.processes.get(pid, {}).get("start_time") for pid in flagged]
        times += [e.get("mtime") for f in mine for e in host.persistence_of(f)]
        roots = _lineage(
            host, flagged, [(i, f) for i, f in enumerate(findings) if f.get("host") == label]
        )
        if roots:
            trees.append((label, roots))
    return Incident(trees=trees, evidence=evidence, window=_window(times))
