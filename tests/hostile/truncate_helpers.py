"""Helpers for the truncation and size-cap tests: a big synthetic executable that runs,
playbooks with `limits:`, and reading a triage bundle back.

The executable is harmless: it prints "ready" and sleeps. Its 3 MiB of initialised data
(the marker string, then zeros) make it larger than the small caps the tests set.
"""

import hashlib
import json
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MARKER = "IRKIT_TRUNCATE_TEST_MARKER_5f3a"
PADDED_C = r"""
#include <stdio.h>
#include <unistd.h>
#define SIZE (3 << 20)
static const char pad[SIZE] = "MARKER";
int main(int argc, char **argv) {
    (void)argv;
    volatile const char *p = pad;
    if (p[SIZE - argc] == 1) return 3;
    puts("ready");
    fflush(stdout);
    for (;;) pause();
}
"""
MARKER_RULE = f"""rule truncate_test_marker
{{
    meta:
        severity = "high"
        description = "the truncation tests' synthetic executable"
    strings:
        $m = "{MARKER}"
    condition:
        $m
}}
"""


def build_padded_exe(workdir: Path) -> Path:
    """A running-capable ELF of a little over 3 MiB that holds MARKER."""
    source = workdir / "padded.c"
    source.write_text(PADDED_C.replace("MARKER", MARKER))
    binary = workdir / "padded.bin"
    subprocess.run([shutil.which("gcc") or "gcc", "-O1", "-o", binary, source], check=True)
    return binary


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextmanager
def running(binary: Path, *, delete: bool = False) -> Iterator[subprocess.Popen[bytes]]:
    """Start the binary, wait for it to say ready, optionally delete it while it runs."""
    child = subprocess.Popen([binary], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
        if delete:
            binary.unlink()
        yield child
    finally:
        child.kill()
        child.wait()


def write_playbook(path: Path, *, collectors: str, hunts: str = "", limits: str = "") -> Path:
    text = f"name: {path.stem}\ncollectors:\n{collectors}"
    if hunts:
        text += f"hunts:\n{hunts}"
    if limits:
        text += f"limits:\n{limits}"
    path.write_text(text)
    return path


class Bundle:
    """A sealed bundle read back: records by type, the manifest, the log, members."""

    def __init__(self, path: Path) -> None:
        with zipfile.ZipFile(path) as zf:
            self.names = zf.namelist()
            self.manifest: dict[str, Any] = json.loads(zf.read("manifest.json"))
            self.log = [json.loads(line) for line in zf.read("collection.log").splitlines()]
            self.records: list[dict[str, Any]] = [
                json.loads(line)
                for name in self.names
                if name.startswith("records/") and name.endswith(".jsonl")
                for line in zf.read(name).splitlines()
            ]
            self.iocs: list[dict[str, Any]] = (
                json.loads(zf.read("iocs.json")) if "iocs.json" in self.names else []
            )
            self._zip_path = path

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("type") == kind]

    def one(self, kind: str, **match: Any) -> dict[str, Any]:
        found = [r for r in self.of_type(kind) if all(r.get(k) == v for k, v in match.items())]
        assert len(found) == 1, f"{kind} {match}: {found}"
        return found[0]

    def member_entry(self, name: str) -> dict[str, Any]:
        return next(m for m in self.manifest["members"] if m["name"] == name)

    def read(self, name: str) -> bytes:
        with zipfile.ZipFile(self._zip_path) as zf:
            return zf.read(name)
