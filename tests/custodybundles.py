"""Signed bundles, and what an attacker does to one: edit members, fix the manifest, the zip
comment and the sidecar, strip or replace the signature (the tests of issue 11)."""

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any, Literal

from irkit.custody.keys import key_fingerprint, load_signing_key
from irkit.custody.settings import resolve_custody
from irkit.custody.signing import sign_manifest
from irkit.evidence.verify import sidecar_lines
from irkit.evidence.writer import Custody

SIG = "manifest.json.sig"
Signature = Literal["keep", "drop", "strip"] | Path
"""keep the old one; drop it but leave the manifest naming its signer; strip it and its
mention in the manifest; or re-sign with the attacker's key at this path."""


def signing_custody(key: Path) -> Custody:
    return resolve_custody(key, [], environ={}).custody


def forge(
    src: Path,
    dst: Path,
    *,
    change: dict[str, bytes] | None = None,
    drop: set[str] | None = None,
    add: dict[str, bytes] | None = None,
    comment: Literal["keep", "fix"] | bytes = "fix",
    sidecar: Literal["fix", "stale", "none"] = "none",
    signature: Signature = "keep",
) -> Path:
    """Rebuild `src` as `dst` the way an attacker would, the manifest fixed to match."""
    change, drop, add = change or {}, drop or set(), add or {}
    with zipfile.ZipFile(src) as zin:
        members = {info.filename: zin.read(info) for info in zin.infolist()}
        original_comment = zin.comment
    manifest: dict[str, Any] = json.loads(members.pop("manifest.json"))
    old_signature = members.pop(SIG, None)
    entries = [e for e in manifest["members"] if e["name"] not in drop]
    for entry in entries:
        if entry["name"] in change:
            data = change[entry["name"]]
            entry.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    for name, data in add.items():
        entries.append(
            {
                "name": name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "source": None,
                "collector": "host",
                "acquired": manifest["ended"],
                "partial": False,
            }
        )
    manifest["members"] = entries
    new_signature = old_signature if signature == "keep" else None
    if signature == "strip":
        manifest["custody"] = None
    elif isinstance(signature, Path):
        key = load_signing_key(signature)
        manifest["custody"] = {"signed_by": key_fingerprint(key), "encrypted_to": []}
    raw = json.dumps(manifest, indent=1).encode()
    if isinstance(signature, Path):
        new_signature = sign_manifest(load_signing_key(signature), raw)
    digest = hashlib.sha256(raw).hexdigest()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in members.items():
            if name not in drop:
                zout.writestr(name, change.get(name, data))
        for name, data in add.items():
            zout.writestr(name, data)
        zout.writestr("manifest.json", raw)
        if new_signature is not None:
            zout.writestr(SIG, new_signature)
        if comment == "keep":
            zout.comment = original_comment
        elif comment == "fix":
            zout.comment = f"irkit manifest sha256 {digest}".encode()
        else:
            zout.comment = comment
    bundle_sha = hashlib.sha256(dst.read_bytes()).hexdigest()
    side = dst.with_name(dst.name + ".sha256")
    if sidecar == "fix":
        side.write_text(sidecar_lines(bundle_sha, dst.name, digest))
    elif sidecar == "stale":
        with zipfile.ZipFile(src) as zin:
            old_manifest = hashlib.sha256(zin.read("manifest.json")).hexdigest()
        original = hashlib.sha256(src.read_bytes()).hexdigest()
        side.write_text(sidecar_lines(original, dst.name, old_manifest))
    return dst


def with_signature(src: Path, dst: Path, signature: bytes) -> Path:
    """`src` with its manifest.json.sig replaced, everything else (the comment too) as it was."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, signature if info.filename == SIG else zin.read(info))
        zout.comment = zin.comment
    return dst
