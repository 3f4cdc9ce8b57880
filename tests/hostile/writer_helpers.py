"""Fixture roots and checks for the hostile output tests (writer and signals)."""

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pyrage
from pyrage import x25519

from irkit.custody.encryption import decrypt_to_memory
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


AGE_IDENTITY = x25519.Identity.generate()
"""The analyst's key for the encrypted variants of the output tests."""


def encryption(encrypted: bool) -> list[str]:
    return ["--encrypt-to", str(AGE_IDENTITY.to_public())] if encrypted else []


def clear_bundle(bundle: Path, encrypted: bool, folder: Path) -> Path:
    """The bundle to read with zipfile: itself, or its decrypted copy in `folder`."""
    if not encrypted:
        return bundle
    clear = folder / (bundle.name + ".clear.zip")
    clear.write_bytes(pyrage.decrypt(bundle.read_bytes(), [AGE_IDENTITY]))
    return clear


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


def assert_sealed(bundle: Path, encrypted: bool = False) -> dict[str, Any]:
    """The file under the final name verifies, its sidecar (when there) agrees; its manifest."""
    clear = decrypt_to_memory(bundle, [AGE_IDENTITY]) if encrypted else None
    report = verify_bundle(bundle, clear=clear)
    assert report.intact, (bundle, report.problems, report.refused)
    sidecar = bundle.with_name(bundle.name + ".sha256")
    if sidecar.exists():
        assert report.manifest_sha256 is not None
        lines = sidecar_lines(report.bundle_sha256, bundle.name, report.manifest_sha256)
        assert sidecar.read_text() == lines
    if clear is None:
        return manifest(bundle)
    try:
        return manifest(clear.path)
    finally:
        clear.close()
