"""Helpers to inspect and tamper with bundles in tests (rebuilding zips like an attacker would)."""

import json
import zipfile
from pathlib import Path
from typing import Any


def read_manifest(bundle: Path) -> dict[str, Any]:
    with zipfile.ZipFile(bundle) as zf:
        return json.loads(zf.read("manifest.json"))


def rebuild(
    src: Path,
    dst: Path,
    *,
    change: dict[str, bytes] | None = None,
    drop: set[str] | None = None,
    add: dict[str, bytes] | None = None,
) -> None:
    """Copy a bundle member by member, replacing, dropping or adding members."""
    change, drop, add = change or {}, drop or set(), add or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = change.get(info.filename, zin.read(info.filename))
            zout.writestr(info.filename, data)
        for name, data in add.items():
            zout.writestr(name, data)
