"""The host collector on fixture root/proc trees: expected records, and a corrupt variant."""

import io
import json
import os
import zipfile
from pathlib import Path

from hostfixtures import utmp_record, write_tree

from irkit.collection import collect_to
from irkit.collectors.host import HostCollector
from irkit.evidence.writer import EvidenceWriter
from irkit.interrupts import InterruptGuard

PROC = {
    "sys/kernel/hostname": "miner-box\n",
    "sys/kernel/osrelease": "6.1.0-18-amd64\n",
    "sys/kernel/random/boot_id": "0f0f0f0f-1111-2222-3333-444444444444\n",
    "version": "Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP\n",
    "stat": "cpu  1 2 3 4\nbtime 1700000000\nprocesses 10\n",
    "uptime": "12345.67 100.00\n",
    "cpuinfo": "processor\t: 0\nmodel name\t: Test CPU\n\nprocessor\t: 1\nmodel name\t: Test CPU\n",
    "meminfo": "MemTotal:        2048 kB\nMemFree: 1 kB\n",
}
ROOT = {
    "etc/os-release": 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n# comment\n',
    "etc/machine-id": "abcdef0123456789abcdef0123456789\n",
    "usr/share/zoneinfo/Europe/Berlin": b"TZif2",
    "run/utmp": utmp_record(
        7, pid=4242, line=b"pts/0", user=b"root", host=b"198.51.100.7", time=1_700_000_100
    ),
}


def collect_host(tmp_path: Path, root_files: dict, proc_files: dict) -> tuple[list, dict]:
    root = write_tree(tmp_path / "root", root_files)
    proc = write_tree(tmp_path / "proc", proc_files)
    if "usr/share/zoneinfo/Europe/Berlin" in root_files:
        os.symlink("/usr/share/zoneinfo/Europe/Berlin", root / "etc" / "localtime")
    sink = io.BytesIO()
    writer = EvidenceWriter(sink, command_line=["test"])
    result = collect_to(writer, InterruptGuard(), [HostCollector()], root=root, proc=proc)
    with zipfile.ZipFile(io.BytesIO(sink.getvalue())) as zf:
        records = [json.loads(line) for line in zf.read("records/host.jsonl").splitlines()]
        manifest = json.loads(zf.read("manifest.json"))
    return records, {"manifest": manifest, "result": result, "log": writer.log.entries}


def test_fixture_host_gives_the_expected_records(tmp_path: Path) -> None:
    records, info = collect_host(tmp_path, ROOT, PROC)
    host, session = records
    assert host == {
        "type": "host",
        "hostname": "miner-box",
        "kernel_release": "6.1.0-18-amd64",
        "kernel_version": PROC["version"].strip(),
        "os_release": {"NAME": "Debian GNU/Linux", "VERSION_ID": "12", "ID": "debian"},
        "machine_id": "abcdef0123456789abcdef0123456789",
        "boot_id": "0f0f0f0f-1111-2222-3333-444444444444",
        "boot_time": "2023-11-14T22:13:20.000000Z",
        "uptime_seconds": 12345.67,
        "timezone": "Europe/Berlin",
        "cpu_count": 2,
        "cpu_model": "Test CPU",
        "memory_total_bytes": 2048 * 1024,
    }
    assert session["type"] == "session" and session["user"] == "root"
    assert session["host"] == "198.51.100.7" and session["pid"] == 4242
    names = {m["name"] for m in info["manifest"]["members"]}
    assert {"files/etc/os-release", "files/proc/meminfo", "files/run/utmp"} <= names
    assert info["manifest"]["host"]["hostname"] == "miner-box"


def test_corrupt_host_files_are_logged_not_fatal(tmp_path: Path) -> None:
    corrupt_proc = {
        "sys/kernel/hostname": b"\xff\xfe\x00binary",
        "stat": "btime notanumber\n",
        "uptime": "garbage\n",
        "cpuinfo": b"\x00\x01\x02",
        "meminfo": "MemTotal: lots\n",
    }
    corrupt_root = {"etc/os-release": b"\xff=\x00'unterminated\n", "run/utmp": b"\x01" * 100}
    records, info = collect_host(tmp_path, corrupt_root, corrupt_proc)
    host = records[0]
    assert info["result"].seal.complete is True
    assert host["hostname"] == "\udcff\udcfe\x00binary"
    assert host["boot_time"] is None and host["uptime_seconds"] is None
    assert host["memory_total_bytes"] is None and host["cpu_count"] == 0
    problems = [e for e in info["log"] if e.outcome in ("error", "warning", "skipped")]
    steps = {(e.step, e.detail.get("path")) for e in problems}
    assert ("parse", "/proc/uptime") in steps
    assert ("parse", "/run/utmp") in steps
    assert ("copy", "/proc/version") in steps
