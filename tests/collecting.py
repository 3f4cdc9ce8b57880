"""Run collectors in-process into a real bundle and read back what they wrote."""

import json
import os
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

from irkit.collection import collect_to
from irkit.collectors.registry import select_collectors
from irkit.evidence.writer import EvidenceWriter
from irkit.interrupts import InterruptGuard

FAST = {"processes": {"cpu_interval": 0.0, "probe_hidden": False}}


def collect_bundle(
    out: Path,
    *names: str,
    root: Path = Path("/"),
    proc: Path = Path("/proc"),
    options: dict[str, dict[str, Any]] | None = None,
) -> Path:
    guard = InterruptGuard()
    with out.open("wb") as sink:
        writer = EvidenceWriter(sink, command_line=["test"], guard=guard)
        result = collect_to(
            writer,
            guard,
            select_collectors(list(names)),
            root=root,
            proc=proc,
            options=FAST if options is None else options,
        )
    assert result.failed == [], result.failed
    return out


def records(bundle: Path, kind: str) -> list[dict[str, Any]]:
    with zipfile.ZipFile(bundle) as zf:
        found = []
        for name in zf.namelist():
            if name.startswith("records/") and name.endswith(".jsonl"):
                for line in zf.read(name).splitlines():
                    record = json.loads(line)
                    if record["type"] == kind:
                        found.append(record)
        return found


def log_entries(bundle: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(bundle) as zf:
        return [json.loads(line) for line in zf.read("collection.log").splitlines()]


def member(bundle: Path, name: str) -> bytes:
    with zipfile.ZipFile(bundle) as zf:
        return zf.read(name)


def wait_for(condition: Any, what: str, timeout: float = 30) -> None:
    """Poll until a child process reached the state a test needs (not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def exe_link(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def stop(*children: subprocess.Popen[bytes]) -> None:
    for child in children:
        child.kill()
        child.wait()
