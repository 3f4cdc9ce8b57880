"""Combine cheap signals into explained findings, one process or artifact at a time.

Every signal carries its reason in words, its ATT&CK technique and the bundle
members it rests on, so a finding can always be traced back to the evidence.
A process is called a likely miner when independent signals agree, not on any
one of them: pool ports, cmdline words and CPU use each have innocent causes.
"""

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from irkit.analysis.iocs import Ioc, dedupe, download_iocs, iocs_from_argv, iocs_from_command
from irkit.analysis.signals import (
    INTERPRETERS,
    command_fetches_and_runs,
    command_starts_miner,
    is_private_address,
)
from irkit.analysis.startfiles import (
    NAMED,
    STARTED_CONFIGS_MEMBER,
    config_reason,
    started_config_iocs,
)
from irkit.analysis.tunnels import SSH_PROGRAMS, Tunnel, find_tunnel, parse_tunnel
from irkit.analysis.verdict import judge
from irkit.analysis.words import command_words
from irkit.evidence.records import Finding, Record, severity_rank
from irkit.evidence.typed import field_types
from irkit.knowledge.miners import names_a_miner
from irkit.playbook import AnalysisSettings

MINER_SIGNALS = {"pool-connection", "stratum-cmdline", "wallet-cmdline", "yara-miner", "high-cpu",
                 "gpu-unexpected", "miner-cmdline", "config-pool", "config-wallet"}  # fmt: skip
EXE_SIGNALS = {"deleted-exe", "exe-location", "kthread-imitation", "memfd-exe"}
PERSISTENCE_MITRE = {
    "cron": "T1053.003",
    "anacron": "T1053.003",
    "at": "T1053.002",
    "systemd": "T1543.002",
    "systemd-timer": "T1053.006",
    "init.d": "T1037.004",
    "rc.local": "T1037.004",
    "shell-rc": "T1546.004",
    "ld.so.preload": "T1574.006",
    "authorized_keys": "T1098.004",
    "udev": "T1546.017",
    "modules-load": "T1547.006",
    "motd": "T1037",
    "xdg-autostart": "T1547.013",
}


@dataclass
class Signal:
    kind: str
    reason: str
    severity: str
    mitre: str | None = None
    evidence: list[str] = field(default_factory=list)


@dataclass
class ProcessVerdict(Record):
    kind: ClassVar[str] = "process-verdict"
    pid: int
    name: str
    exe: str | None
    verdict: str
    severity: str
    reasons: list[str]
    mitre: list[str]
    lineage: list[str]
    agent_ancestor: int | None = None

    @property
    def title(self) -> str:
        """The title of the finding this verdict is written as."""
        return f"{self.verdict}: pid {self.pid} ({self.name})"


@dataclass
class Verdict(Record):
    """The whole host's verdict, in one line a responder can repeat."""

    kind: ClassVar[str] = "verdict"
    verdict: str
    reason: str
    threshold: str
    findings_at_or_above: int


@dataclass
class Analysis:
    findings: list[Finding]
    verdicts: list[ProcessVerdict]
    iocs: list[Ioc]
    workspace: dict[str, list[str]] = field(default_factory=dict)
    """Reasons to add to the YARA findings of files in an agent's working directory, by path."""

    def verdict(self, threshold: str) -> Verdict:
        """The host verdict by the one rule (`analysis.verdict.judge`); the threshold only
        counts the findings that set the exit code."""
        judgement = judge(f.to_dict() for f in self.findings)
        return Verdict(judgement.verdict, judgement.reason, threshold, len(self.above(threshold)))

    def above(self, threshold: str) -> list[Finding]:
        return [f for f in self.findings if severity_rank(f.severity) >= severity_rank(threshold)]


FIELD_TYPES: dict[str, tuple[type, ...]] = field_types(
    "process", "socket", "persistence", "gpu_process", "finding"
)
"""Generated from the record dataclasses (irkit.evidence.schema): the types a field may have."""


def _fits(key: str, value: Any) -> bool:
    """Whether a field's value has the type its record dataclass gives it (a bool is no int)."""
    types = FIELD_TYPES.get(key)
    return types is None or not (isinstance(value, bool) or not isinstance(value, types))


def _checked(record: Mapping[str, Any], key: str) -> Any:
    """`_normalise(record).get(key)` for a field that is no list, without the clean copy of the
    whole record: the persistence analysis reads six fields of each of 50,000 entries."""
    value = record.get(key)
    return value if _fits(key, value) else None


def _normalise(record: Mapping[str, Any]) -> dict[str, Any]:
    """Drop fields of the wrong type: records may come from an old, foreign or tampered bundle,
    and one odd field must cost that field, not the analysis."""
    clean = {}
    for key, value in record.items():
        if not _fits(key, value):
            continue
        if isinstance(value, list) and key in ("cmdline", "flags", "mitre", "evidence"):
            value = [str(v) for v in value]
        clean[key] = value
    return clean


PROCESS_TYPES = frozenset({"process", "socket", "gpu_process", "finding", "started-config"})
"""The record types a process's verdict rests on."""
ANALYSED_TYPES = PROCESS_TYPES | {"persistence"}


def _by_type(
    records: Iterable[Mapping[str, Any]], types: frozenset[str]
) -> tuple[dict[str, list[dict[str, Any]]], list[Mapping[str, Any]]]:
    """The records of the types read, normalised, and the persistence entries as they are
    (each field read is checked when it is read, `_checked`: 50,000 of them are neither held
    twice nor copied); the others (copied files, accounts, the log) are not even looked at."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    persistence: list[Mapping[str, Any]] = []
    for record in records:
        if not isinstance(record, Mapping):
            continue
        kind = record.get("type")
        if kind == "persistence" and kind in types:
            persistence.append(record)
        elif kind in types:
            grouped[kind].append(_normalise(record))
    return grouped, persistence


PROCESSES_MEMBER = "records/processes.jsonl"
SOCKETS_MEMBER = "records/sockets.jsonl"
_SSH_TUNNELS = ("reverse", "dynamic", "tun")
"""ssh forwards that make it a tunnel out of the host (high); -L or a ProxyCommand is medium."""


def script_of(argv: list[str]) -> str | None:
    """The script an interpreter runs (`python3 agent_runner.py` → `agent_runner.py`,
    `python3 -m pkg` → `-m pkg`): the agent is its script, not "python3"."""
    if not argv or not INTERPRETERS.match(argv[0].rsplit("/", 1)[-1]):
        return None
    for i, arg in enumerate(argv[1:], start=1):
        if arg == "-m" and i + 1 < len(argv):
            return f"-m {argv[i + 1]}"
        if arg == "-c":
            return None
        if not arg.startswith("-"):
            return arg
    return None


def tunnel_ioc(tunnel: Tunnel, context: str, source: str) -> Ioc | None:
    endpoint = tunnel.endpoint
    if endpoint is None:
        return None
    detail = {"tool": tunnel.tool, "host": tunnel.host, "port": tunnel.port, "user": tunnel.user,
              "direction": tunnel.direction, "forwards": tunnel.forwards}  # fmt: skip
    return Ioc("tunnel-endpoint", endpoint, context, detail=detail, source=source)


def _odd_dir(path: str) -> bool:
    """Directory names made to be overlooked: only dots, or dots and spaces ('...', '. ')."""
    return any(part and not part.strip(". ") for part in path.split("/")[:-1])


def _program_miner_name(process: dict[str, Any]) -> str | None:
    """Its executable's file name or its name (comm), when the miner table has it."""
    names = (_exe_path(process).rsplit("/", 1)[-1], str(process.get("name") or ""))
    return next((n for n in names if n and names_a_miner(n)), None)


def _exe_path(process: dict[str, Any]) -> str:
    exe = process.get("exe") or ""
    return exe[: -len(" (deleted)")] if exe.endswith(" (deleted)") else exe


class _Analyser:
    def __init__(
        self,
        records: Iterable[Mapping[str, Any]],
        settings: AnalysisSettings,
        types: frozenset[str] = ANALYSED_TYPES,
    ) -> None:
        self.settings = settings
        grouped, self.persistence = _by_type(records, types)
        self.processes = {p["pid"]: p for p in grouped.get("process", []) if "pid" in p}
        self.sockets = grouped.get("socket", [])
        self.gpu = grouped.get("gpu_process", [])
        self.hits = grouped.get("finding", [])
        self.configs = grouped.get("started-config", [])
        """Miner configs the triage read (irkit.startedfiles): of a process, or of the
        persistence entry (`entry`, source:line) that starts a miner with it."""
        self.signals: dict[int, list[Signal]] = defaultdict(list)
        self.findings: list[Finding] = []
        self.iocs: list[Ioc] = []
        self.pid_iocs: dict[int, list[Ioc]] = defaultdict(list)
        """IOCs of one process: kept only when its finding is at or above the threshold."""
        self.tunnels: dict[int, Tunnel] = {}
        self.connections: dict[int, set[tuple[str, int]]] = defaultdict(set)

    def add(self, pid: int, signal: Signal) -> None:
        self.signals[pid].append(signal)

    def mining(self, pid: int, kind: str, reason: str, where: list[str]) -> None:
        """A high signal of resource hijacking (ATT&CK T1496): a pool, a wallet, a connection."""
        self.add(pid, Signal(kind, reason, "high", "T1496", where))

    def run(self) -> Analysis:
        verdicts = self.process_verdicts()
        self.persistence_findings(verdicts)
        self.iocs += self.process_iocs(verdicts)
        return Analysis(self.findings, verdicts, dedupe(self.iocs), self.workspace_reasons())

    def process_verdicts(self) -> list[ProcessVerdict]:
        for process in self.processes.values():
            self.process_signals(process)
        self.socket_signals()
        self.config_signals()
        self.gpu_signals()
        self.hit_signals()
        return [self.verdict(pid, sigs) for pid, sigs in sorted(self.signals.items())]

    def process_signals(self, p: dict[str, Any]) -> None:
        pid, flags = p["pid"], set(p.get("flags") or [])
        argv = [str(a) for a in p.get("cmdline") or []]
        where = [PROCESSES_MEMBER]
        self.executable_signals(pid, p, flags, where)
        self.disguise_signals(pid, p, flags, where)
        cpu = p.get("cpu_percent")
        if isinstance(cpu, int | float) and cpu >= self.settings.cpu_percent:
            self.add(pid, Signal(
                "high-cpu", f"sustained CPU use of {cpu:.0f}% over the sampling interval",
                "low", "T1496", where,
            ))  # fmt: skip
        self.cmdline_signals(pid, argv, where)
        named = _program_miner_name(p)
        if named and not command_starts_miner(" ".join(argv)):
            self.add(pid, Signal(
                "miner-cmdline", f"its program is named like a miner ({named}) although its "
                "command line does not say so", "medium", "T1496", where,
            ))  # fmt: skip

    def executable_signals(
        self, pid: int, p: dict[str, Any], flags: set[str], where: list[str]
    ) -> None:
        """Where its program is: an anonymous memory file, deleted, a hidden or writable dir."""
        exe = p.get("exe") or ""
        if exe.startswith("/memfd:"):
            self.add(pid, Signal(
                "memfd-exe", f"it runs from an anonymous memory file ({exe}): fileless "
                "execution, as container runtimes and some malware do", "low", "T1620", where,
            ))  # fmt: skip
        elif "exe-deleted" in flags:
            recovered = p.get("exe_member")
            self.add(pid, Signal(
                "deleted-exe",
                f"its executable was deleted after it started ({exe})"
                + (f"; the binary was recovered to {recovered}" if recovered else ""),
                "medium", "T1070.004", where + ([recovered] if recovered else []),
            ))  # fmt: skip
        if "exe-in-hidden-dir" in flags or "exe-in-writable-dir" in flags:
            places = [
                text for flag, text in (("exe-in-hidden-dir", "a hidden directory"),
                                        ("exe-in-writable-dir", "a world-writable directory"))
                if flag in flags
            ]  # fmt: skip
            # A dot-directory in a home (~/.pyenv, ~/.local) alone is common and benign.
            severity = "medium" if "exe-in-writable-dir" in flags or _odd_dir(exe) else "low"
            self.add(pid, Signal(
                "exe-location", f"it runs from {' and '.join(places)}: {_exe_path(p)}",
                severity, "T1036", where,
            ))  # fmt: skip

    def disguise_signals(
        self, pid: int, p: dict[str, Any], flags: set[str], where: list[str]
    ) -> None:
        """How it hides: a kernel thread's name, a pid missing from /proc, LD_PRELOAD."""
        exe = p.get("exe") or ""
        if "kernel-thread-imitation" in flags:
            self.add(pid, Signal(
                "kthread-imitation",
                f"it is named like a kernel thread ({p.get('name')}) but runs {exe or 'a binary'}",
                "high", "T1036.004", where,
            ))  # fmt: skip
        if "hidden-pid" in flags:
            self.add(pid, Signal(
                "hidden-pid", "it answers at /proc/PID but is missing from the /proc listing "
                "(a rootkit hides it)", "high", "T1014", where,
            ))  # fmt: skip
        if p.get("ld_preload"):
            self.add(pid, Signal(
                "ld-preload", f"LD_PRELOAD={p['ld_preload']} in its environment", "medium",
                "T1574.006", where,
            ))  # fmt: skip

    def cmdline_signals(self, pid: int, argv: list[str], where: list[str]) -> None:
        found = iocs_from_argv(argv, f"command line of pid {pid}")
        urls = [i.value for i in found if i.ioc_type == "pool-url" and "://" in i.value]
        wallets = [i for i in found if i.ioc_type == "wallet"]
        if urls:
            reason = f"a mining-pool URL in its command line: {', '.join(urls)}"
            self.mining(pid, "stratum-cmdline", reason, where)
        if wallets:
            reason = f"a wallet address in its command line: {_wallets_shown(wallets)}"
            self.mining(pid, "wallet-cmdline", reason, where)
        joined = " ".join(argv)
        if not urls and not wallets and command_starts_miner(joined):
            self.add(pid, Signal(
                "miner-cmdline", "its command line names a miner or miner options", "medium",
                "T1496", where,
            ))  # fmt: skip
        if urls or wallets or command_starts_miner(joined):
            self.pid_iocs[pid] += found
        tunnel = parse_tunnel(argv)
        if tunnel is not None:
            self.tunnels[pid] = tunnel
            # A tunnelling tool is one whatever it forwards; ssh is one by its -R/-D/-w.
            plain_ssh = tunnel.tool in SSH_PROGRAMS and tunnel.direction not in _SSH_TUNNELS
            severity = "medium" if plain_ssh else "high"
            self.add(pid, Signal("tunnel", f"it opens a {tunnel.describe()}", severity, "T1572",
                                 where))  # fmt: skip
            endpoint = tunnel_ioc(tunnel, f"command line of pid {pid}", "cmdline")
            if endpoint is not None:
                self.pid_iocs[pid].append(endpoint)

    def socket_signals(self) -> None:
        probes: dict[int, set[str]] = defaultdict(set)
        for s in self.sockets:
            pid = s.get("pid")
            remote, port = s.get("remote_address"), s.get("remote_port")
            if pid is None or not remote or not port or s.get("state") == "LISTEN":
                continue
            if s.get("state") not in ("SYN_SENT", "SYN_RECV"):  # an attempt is no peer
                self.connections[pid].add((remote, port))
            if pid in self.tunnels:
                self.tunnel_socket(pid, s)
            elif "pool-port" in (s.get("flags") or []) and not self.is_ssh_client(pid):
                self.pool_connection(
                    pid, remote, port,
                    f"a {s.get('proto')} connection to {remote}:{port}, a common mining-pool "
                    f"port ({s.get('state')})",
                )  # fmt: skip
            if s.get("state") in ("SYN_SENT", "SYN_RECV") and is_private_address(remote):
                probes[pid].add(f"{remote}:{port}")
        for pid, targets in probes.items():
            if len(targets) >= self.settings.probe_burst:
                self.add(pid, Signal(
                    "probing", f"{len(targets)} connection attempts at once to internal addresses "
                    f"(e.g. {', '.join(sorted(targets)[:5])})", "medium", "T1046",
                    [SOCKETS_MEMBER],
                ))  # fmt: skip

    def is_ssh_client(self, pid: int) -> bool:
        """An ssh session to port 2222 is a login, not a pool connection."""
        argv = self.processes.get(pid, {}).get("cmdline") or [""]
        return str(argv[0]).rsplit("/", 1)[-1] in SSH_PROGRAMS

    def tunnel_socket(self, pid: int, s: dict[str, Any]) -> None:
        """A tunnel's connection is its far end, whatever the port; it names the destination
        when the command line does not (ngrok, cloudflared, a config file)."""
        tunnel = self.tunnels[pid]
        remote, port = s.get("remote_address"), s.get("remote_port")
        self.add(pid, Signal(
            "tunnel-connection", f"the tunnel is connected to {remote}:{port} ({s.get('state')})",
            "info", "T1572", [SOCKETS_MEMBER],
        ))  # fmt: skip
        if tunnel.host is None and isinstance(remote, str) and isinstance(port, int):
            tunnel.host, tunnel.port = remote, port
            endpoint = tunnel_ioc(tunnel, f"socket of pid {pid}", "socket")
            if endpoint is not None:
                self.pid_iocs[pid].append(endpoint)

    def config_signals(self) -> None:
        """A process's miner config: its pool and wallet are signals (and IOCs), and a
        connection to that pool is a pool connection whatever the port (443 included). A
        config irkit found by its default place (beside the executable, in the cwd) counts only
        for a process that uses it: one named like a miner or connected to its pool; a config
        beside /usr/local/bin/xmrig says nothing of every other program in that folder."""
        for config in self.configs:
            pid = config.get("pid")
            found = started_config_iocs(config)
            pools = [i for i in found if i.ioc_type == "pool-host"]
            if not isinstance(pid, int) or pid not in self.processes or not pools:
                continue
            used = []
            for remote, port in sorted(self.connections.get(pid, set())):
                pool = next((i for i in pools if _same_pool(i, remote, port)), None)
                if pool is not None:
                    used.append((remote, port, pool))
            p = self.processes[pid]
            argv = " ".join(str(a) for a in p.get("cmdline") or [])
            miner = command_starts_miner(argv) or _program_miner_name(p)
            if config.get("how") != NAMED and not used and not miner:
                continue
            where = [
                m for m in (STARTED_CONFIGS_MEMBER, config.get("member")) if isinstance(m, str)
            ]
            shown = f"its config {config.get('path')} ({config.get('how')})"
            pools_shown = ", ".join(i.value for i in pools)
            self.mining(pid, "config-pool", f"{shown} names the pool {pools_shown}", where)
            wallets = [i for i in found if i.ioc_type == "wallet"]
            if wallets:
                reason = f"{shown} names the wallet {_wallets_shown(wallets)}"
                self.mining(pid, "config-wallet", reason, where)
            self.pid_iocs[pid] += found
            for remote, port, pool in used:
                self.pool_connection(
                    pid, remote, port,
                    f"a connection to {remote}:{port}, the pool its config names ({pool.value})",
                )  # fmt: skip

    def pool_connection(self, pid: int, remote: str, port: int, why: str) -> None:
        """A connection to a pool is a high signal and a pool-host IOC of the process."""
        self.mining(pid, "pool-connection", why, [SOCKETS_MEMBER])
        self.pid_iocs[pid].append(Ioc(
            "pool-host", f"{remote}:{port}", f"socket of pid {pid}",
            detail={"host": remote, "port": port}, source="socket",
        ))  # fmt: skip

    def gpu_signals(self) -> None:
        allowed = set(self.settings.gpu_allow)
        for g in self.gpu:
            pid = g.get("pid")
            if pid is None:
                continue
            name = self.processes.get(pid, {}).get("name") or g.get("name") or "?"
            if name in allowed:
                continue
            used = g.get("used_memory") or 0
            self.add(pid, Signal(
                "gpu-unexpected", f"it holds {used / 2**20:.0f} MiB of GPU memory and is not on "
                "the playbook's GPU allow-list", "medium", "T1496", ["records/gpu.jsonl"],
            ))  # fmt: skip

    def hit_signals(self) -> None:
        """One signal per process and place (memory, executable), naming every rule that hit."""
        groups: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
        for hit in self.hits:
            pid = hit.get("pid")
            if hit.get("source") == "yara" and isinstance(pid, int) and pid in self.processes:
                memory = " on process " in str(hit.get("title"))
                place = "its memory" if memory else "its executable"
                groups[(pid, place)].append(hit)
        for (pid, place), hits in groups.items():
            rules = sorted({str(h.get("rule")).rsplit(".", 1)[-1] for h in hits})
            miner = any("miner" in r.lower() or "wallet" in r.lower() for r in rules)
            worst = max((str(h.get("severity")) for h in hits), key=severity_rank)
            mitre = next((m for h in hits for m in h.get("mitre") or []), None)
            self.add(pid, Signal(
                "yara-miner" if miner else "yara",
                f"YARA rule{'s' if len(rules) > 1 else ''} {', '.join(rules)} matched {place}",
                worst, mitre, sorted({e for h in hits for e in h.get("evidence") or []}),
            ))  # fmt: skip

    def verdict(self, pid: int, signals: list[Signal]) -> ProcessVerdict:
        p = self.processes.get(pid, {"pid": pid, "name": "?"})
        kinds = {s.kind for s in signals}
        # Weak signals (a dot-directory, CPU use) describe; only medium and up count as evidence.
        strong = {s.kind for s in signals if severity_rank(s.severity) >= severity_rank("medium")}
        worst = max(signals, key=lambda s: severity_rank(s.severity)).severity
        lineage, agent_pid = self.lineage(pid)
        if len(strong) >= 3 and strong & MINER_SIGNALS:
            verdict, severity = "likely miner", "critical"
        elif "tunnel" in kinds:
            verdict, severity = "tunnel", worst
        elif severity_rank(worst) >= severity_rank("medium"):
            verdict, severity = "suspicious", worst
        else:
            verdict, severity = "noted", worst
        reasons = [s.reason for s in signals]
        if agent_pid is not None:
            reasons.append(self.agent_reason(agent_pid))
        mitre = sorted({s.mitre for s in signals if s.mitre})
        verdict_record = ProcessVerdict(
            pid, str(p.get("name")), p.get("exe"), verdict, severity, reasons, mitre, lineage,
            agent_pid,
        )  # fmt: skip
        title = verdict_record.title
        for ioc in self.pid_iocs.get(pid, []):
            ioc.finding = title
        self.findings.append(
            Finding(
                title=title,
                severity=severity,
                source="heuristic",
                reasons=reasons,
                pid=pid,
                path=_exe_path(p) or None,
                mitre=mitre,
                evidence=sorted({e for s in signals for e in s.evidence}),
                time=p.get("start_time"),
            )
        )
        return verdict_record

    def lineage(self, pid: int) -> tuple[list[str], int | None]:
        """The chain of ancestors, and the nearest one that is the agent's runtime."""
        chain, agent_pid, seen = [], None, set()
        current: int | None = pid
        while current is not None and current in self.processes and current not in seen:
            seen.add(current)
            p = self.processes[current]
            script = script_of([str(a) for a in p.get("cmdline") or []])
            shown = f"{p.get('name')} {script}" if script else p.get("name")
            chain.append(f"{current} {shown} ({p.get('user')})")
            if agent_pid is None and current != pid and self.is_agent(p):
                agent_pid = current
            current = p.get("ppid")
        return chain, agent_pid

    def is_agent(self, p: dict[str, Any]) -> bool:
        """Whether a process is the agent's runtime, by the playbook's `analysis.agent`."""
        agent = self.settings.agent
        if agent is None:
            return False
        cmd0 = ((p.get("cmdline") or [""])[0] or "").rsplit("/", 1)[-1]
        return (
            p.get("name") in agent.process_names
            or cmd0 in agent.process_names
            or p.get("user") in agent.users
            or any(c in (p.get("cgroup") or "") for c in agent.cgroups)
        )

    def workspace_reasons(self) -> dict[str, list[str]]:
        """For each file a YARA rule flagged inside an agent's working directory, which agent:
        a hit in /workspace says little until it names the runtime that works there."""
        places = [
            (str(p["cwd"]).rstrip("/") + "/", self.agent_reason(pid))
            for pid, p in self.processes.items()
            if isinstance(p.get("cwd"), str) and p["cwd"] not in ("", "/") and self.is_agent(p)
        ]
        out: dict[str, list[str]] = {}
        for hit in self.hits:
            path = hit.get("path")
            if hit.get("source") != "yara" or not isinstance(path, str):
                continue
            for prefix, reason in places:
                if path.startswith(prefix):
                    out.setdefault(path, []).append(
                        reason.replace("it descends from", "it lies in the working directory of")
                    )
        return out

    def agent_reason(self, agent_pid: int) -> str:
        """The agent by its script and working directory, when it runs one."""
        agent = self.processes.get(agent_pid, {})
        script = script_of([str(a) for a in agent.get("cmdline") or []])
        if script is None:
            return f"it descends from the agent's runtime (pid {agent_pid})"
        cwd = agent.get("cwd")
        where = f" in {cwd}" if isinstance(cwd, str) and cwd else ""
        return f"it descends from the agent's runtime (pid {agent_pid}: {script}{where})"

    def persistence_findings(self, verdicts: list[ProcessVerdict]) -> None:
        flagged: dict[str, ProcessVerdict | None] = {
            _exe_path(self.processes[v.pid]): v
            for v in verdicts
            if v.pid in self.processes and v.verdict in ("likely miner", "suspicious")
        }
        for hit in self.hits:
            if hit.get("path"):
                flagged.setdefault(hit["path"], None)
        flagged.pop("", None)
        for entry in self.persistence:
            self.persistence_entry(entry, flagged)

    def persistence_entry(
        self, entry: Mapping[str, Any], flagged: dict[str, ProcessVerdict | None]
    ) -> None:
        mechanism = _checked(entry, "mechanism") or "?"
        command = _checked(entry, "command") or ""
        source, line = _checked(entry, "source"), _checked(entry, "line")
        where = f"{source}" + (f":{line}" if line else "")
        context = f"persistence {where}"
        reasons = _starts_flagged(command, flagged)
        found = _command_reasons(command, context, reasons)
        evidence = ["records/persistence.jsonl", _checked(entry, "member")]
        for config in self.configs:
            if config.get("entry") != where or config.get("pid") is not None:
                continue
            reasons.append(config_reason(config))
            found += started_config_iocs(config)
            evidence += [STARTED_CONFIGS_MEMBER, config.get("member")]
        tunnel = find_tunnel(list(command_words(command)))
        if tunnel is not None:
            reasons.append(f"it opens a {tunnel.describe()}")
            found += [i for i in [tunnel_ioc(tunnel, context, "persistence")] if i]
        if mechanism == "ld.so.preload":
            reasons.append(f"/etc/ld.so.preload loads {command} into every process")
        if reasons:
            finding = Finding(
                title=f"{mechanism} persistence: {where}",
                severity="high",
                source="heuristic",
                reasons=reasons,
                path=source,
                mitre=[PERSISTENCE_MITRE.get(mechanism, "T1547")],
                evidence=list(dict.fromkeys(m for m in evidence if isinstance(m, str))),
                time=_checked(entry, "mtime"),
            )
            self.add_finding(finding, found + download_iocs(command, context))

    def add_finding(self, finding: Finding, iocs: list[Ioc]) -> None:
        """The finding, and its IOCs when it is at or above the threshold (named after it)."""
        if severity_rank(finding.severity) >= severity_rank(self.settings.threshold):
            for ioc in iocs:
                ioc.finding = finding.title
                self.iocs.append(ioc)
        self.findings.append(finding)

    def process_iocs(self, verdicts: list[ProcessVerdict]) -> list[Ioc]:
        """The IOCs of each process whose finding is at or above the threshold: what its
        command line and sockets gave, its executable (full path and sha256), and every other
        host it talks to (c2/peer, any port). Below the threshold a process gives none."""
        floor = severity_rank(self.settings.threshold)
        out: list[Ioc] = []
        for v in verdicts:
            if severity_rank(v.severity) < floor:
                continue
            title = v.title
            own = self.pid_iocs.get(v.pid, [])
            out += own
            p = self.processes.get(v.pid, {})
            path = _exe_path(p)
            if path.startswith("/") and p.get("exe_sha256") and self.exe_is_evidence(v):
                out.append(Ioc("file", path, f"executable of pid {v.pid}",
                               detail={"sha256": p["exe_sha256"]}, source="process",
                               finding=title))  # fmt: skip
            known = {(i.detail.get("host"), i.detail.get("port")) for i in own}
            for remote, port in sorted(self.connections.get(v.pid, set())):
                if (remote, port) in known or is_local(remote):
                    continue
                out.append(Ioc("c2", f"{remote}:{port}", f"socket of pid {v.pid}",
                               detail={"host": remote, "port": port}, source="socket",
                               finding=title))  # fmt: skip
        return out

    def exe_is_evidence(self, verdict: ProcessVerdict) -> bool:
        """A flagged process's executable is an IOC when it is the suspect thing: a likely
        miner's, or one whose own signals concern it (deleted, hidden, imitating a kernel
        thread, a YARA hit on it). /usr/bin/ssh running a tunnel is no IOC."""
        if verdict.verdict == "likely miner":
            return True
        return any(
            (s.kind in EXE_SIGNALS and severity_rank(s.severity) >= severity_rank("medium"))
            or (s.kind.startswith("yara") and "its executable" in s.reason)
            for s in self.signals.get(verdict.pid, [])
        )


def _wallets_shown(wallets: list[Ioc]) -> str:
    return ", ".join(
        f"{w.value} ({w.detail.get('currency')}, checksum "
        f"{'valid' if w.validated else 'not valid'})"
        for w in wallets
    )


def _same_pool(pool: Ioc, remote: str, port: int) -> bool:
    """A connection to a config's pool: the same port, and the same address where the config
    gives one (irkit resolves no names on a suspect host, so a name matches by its port)."""
    host = str(pool.detail.get("host") or "")
    if pool.detail.get("port") != port:
        return False
    try:
        return ipaddress.ip_address(host) == ipaddress.ip_address(remote)
    except ValueError:
        return not _is_address(host)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_local(address: str) -> bool:
    """Loopback or unspecified: this host itself, nothing to block."""
    return address.startswith(("127.", "::1", "0.0.0.0", "::ffff:127.")) or address in ("::", "")


def analyse(records: Iterable[Mapping[str, Any]], settings: AnalysisSettings) -> Analysis:
    """Findings, per-process verdicts and IOCs from a bundle's records (and its YARA findings)."""
    return _Analyser(records, settings).run()


def process_verdicts(
    records: Iterable[Mapping[str, Any]], settings: AnalysisSettings
) -> list[ProcessVerdict]:
    """The processes' verdicts alone, the same as `analyse` gives for these records: what a
    triage needs before its hunts (which processes to dump and scan). Persistence entries are
    neither read nor analysed: a triage analyses them once, after the hunts, with their hits."""
    return _Analyser(records, settings, PROCESS_TYPES).process_verdicts()


def _starts_flagged(command: str, flagged: dict[str, ProcessVerdict | None]) -> list[str]:
    """A reason for each flagged executable (a likely miner's, a YARA-flagged file) the
    command starts."""
    reasons = []
    for path, verdict in flagged.items():
        if path and path in command:
            owner = (
                f"the executable of pid {verdict.pid} ({verdict.verdict})"
                if verdict
                else ("a file a YARA rule flagged")
            )
            reasons.append(f"it starts {path}, {owner}")
    return reasons


def _command_reasons(command: str, context: str, reasons: list[str]) -> list[Ioc]:
    """Add what the command itself does to `reasons` (fetch and run, start a miner, name a pool
    or wallet); return its pool and wallet IOCs (none when it names neither)."""
    if command_fetches_and_runs(command):
        reasons.append("it downloads code and runs it (curl/wget piped into a shell)")
    if command_starts_miner(command):
        reasons.append("it starts a miner (miner name or options in the command)")
    found = iocs_from_command(command, context, "persistence")
    if any(i.ioc_type in ("pool-url", "wallet") for i in found):
        reasons.append("its command holds a pool URL or wallet")
        return found
    return []
