"""Fixture roots and checks for the hostile output tests (writer and signals)."""

import json
import os
import zipfile
from pathlib import Path
from typing import Any

from irkit.evidence.verify import sidecar_lines, verify_bundle
from tests.hostfixtures import write_tree
from tests.persistence_fixture import FILES

FAST_COLLECTORS = "persistence,host"
PLAYBOOK = """\
name: hostile-signals
description: Persistence and host of a fixture root, YARA over persistence targets.
collectors:
  persistence: {}
  host: {}
hunts:
  - name: persistence-targets
    targets: persistence-targets
analysis:
  threshold: medium
"""


def fixture_host(base: Path, *, blobs: int = 0, blob_size: int = 0) -> tuple[Path, Path]:
    """A root with one entry in each persistence location (plus random, incompressible cron
    files when asked) and an empty procfs, so only the root's files are collected."""
    root = write_tree(base / "root", FILES)
    for n in range(blobs):
        (root / "etc" / "cron.d" / f"blob{n}").write_bytes(os.urandom(blob_size))
    proc = base / "proc"
    proc.mkdir()
    return root, proc


def collect_args(out: Path | str, root: Path, proc: Path, *extra: str) -> list[str]:
    return [
        "collect", "-o", str(out), "--root", str(root), "--proc", str(proc),
        "-c", FAST_COLLECTORS, "-q", *extra,
    ]  # fmt: skip


def triage_args(out: Path, root: Path, proc: Path, playbook: Path) -> list[str]:
    return [
        "triage", "-o", str(out), "--root", str(root), "--proc", str(proc), "-p", str(playbook),
        "-q",
    ]  # fmt: skip


def partial_of(bundle: Path) -> Path:
    return bundle.with_name(bundle.name + ".partial")


def manifest(bundle: Path) -> dict[str, Any]:
    with zipfile.ZipFile(bundle) as zf:
        loaded: dict[str, Any] = json.loads(zf.read("manifest.json"))
        return loaded


def log_steps(bundle: Path) -> list[str]:
    with zipfile.ZipFile(bundle) as zf:
        return [json.loads(line)["step"] for line in zf.read("collection.log").splitlines()]


def assert_sealed(bundle: Path) -> dict[str, Any]:
    """The file under the final name verifies, its sidecar (when there) agrees; its manifest."""
    report = verify_bundle(bundle)
    assert report.intact, (bundle, report.problems, report.refused)
    sidecar = bundle.with_name(bundle.name + ".sha256")
    if sidecar.exists():
        assert report.manifest_sha256 is not None
        lines = sidecar_lines(report.bundle_sha256, bundle.name, report.manifest_sha256)
        assert sidecar.read_text() == lines
    return manifest(bundle)
