"""Recompute every hash in a bundle and name whatever differs from the manifest.

Self-consistency has four witnesses of the manifest, and all must agree: the manifest's own
sha256, the zip comment written at sealing, the `OUT.sha256` sidecar (when it is beside the
bundle), and every member's hash and size as the manifest lists them. Only a signature by a
trusted key shows that the manifest itself is the one sealed at collection.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from irkit.custody.signing import (
    SIGNATURE_MAX_BYTES,
    SignatureCheck,
    SignatureState,
    check_signature,
)
from irkit.evidence.manifest import COMMENT_PREFIX, SEALING_NAMES, SIGNATURE_NAME
from irkit.evidence.reader import CHUNK, BundleError, BundleReader, MemberError

if TYPE_CHECKING:  # pyrage is imported only where a bundle is decrypted
    from irkit.custody.encryption import ClearCopy

SIDECAR_MAX_BYTES = 4096
"""A `sha256sum` line is about 100 bytes; more is not read."""
SIDECAR_MANIFEST_PREFIX = "# manifest.json sha256 "
"""The sidecar's second line (a comment to `sha256sum -c`): the manifest's sha256."""
MEANING = (
    "intact means: every member's sha256 and size match manifest.json, and the zip comment"
    " and the .sha256 file beside the bundle (when present) agree with the manifest's sha256."
    " It shows the bundle agrees with itself, not that it is the one collected: compare the"
    " manifest sha256 with the one recorded at collection, or check a signature (--trust)."
)


@dataclass
class Problem:
    member: str
    problem: str


@dataclass
class VerifyReport:
    bundle: str
    bundle_sha256: str
    manifest_sha256: str | None = None
    complete: bool | None = None
    incomplete_reason: str | None = None
    members_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    refused: str | None = None
    comment_manifest_sha256: str | None = None
    signature: SignatureCheck | None = None
    """None when the manifest could not be read."""
    encrypted: bool = False
    meaning: str = MEANING

    @property
    def intact(self) -> bool:
        return self.refused is None and not self.problems


def _file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _member_digest(reader: BundleReader, name: str) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    with reader.open(name) as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


def sidecar_lines(bundle_sha256: str, name: str, manifest_sha256: str) -> str:
    """`OUT.sha256`: a `sha256sum -c` line, then the manifest's sha256 as a comment."""
    return f"{bundle_sha256}  {name}\n{SIDECAR_MANIFEST_PREFIX}{manifest_sha256}\n"


def _sidecar_problems(path: Path, report: VerifyReport) -> list[Problem]:
    sidecar = path.with_name(path.name + ".sha256")
    if not sidecar.is_file():
        return []
    with sidecar.open("rb") as handle:
        lines = handle.read(SIDECAR_MAX_BYTES).decode(errors="replace").splitlines()
    problems = []
    if (lines[0].split()[:1] if lines else []) != [report.bundle_sha256]:
        problems.append(
            Problem(sidecar.name, "the bundle's sha256 differs from the one written beside it")
        )
    recorded = [
        line.removeprefix(SIDECAR_MANIFEST_PREFIX).strip()
        for line in lines[1:]
        if line.startswith(SIDECAR_MANIFEST_PREFIX)
    ]
    if recorded and report.manifest_sha256 and recorded[0] != report.manifest_sha256:
        problems.append(
            Problem(
                sidecar.name,
                f"records manifest sha256 {recorded[0][:64]}, the manifest's is"
                f" {report.manifest_sha256}",
            )
        )
    return problems


def _comment_problem(reader: BundleReader, report: VerifyReport) -> Problem | None:
    comment = reader.comment.decode(errors="replace")
    if not comment.startswith(COMMENT_PREFIX):
        return Problem("zip comment", "does not hold the manifest's sha256")
    report.comment_manifest_sha256 = comment.removeprefix(COMMENT_PREFIX).strip()[:64]
    if report.comment_manifest_sha256 != report.manifest_sha256:
        return Problem(
            "zip comment",
            f"holds manifest sha256 {report.comment_manifest_sha256}, the manifest's is"
            f" {report.manifest_sha256}",
        )
    return None


def _signature_check(reader: BundleReader, trusted: set[bytes] | None) -> SignatureCheck:
    """The signature over the manifest; one the manifest announces must be there, by that key."""
    assert reader.manifest_bytes is not None
    signature = None
    if SIGNATURE_NAME in reader.names():
        try:
            signature = reader.read(SIGNATURE_NAME, SIGNATURE_MAX_BYTES)
        except MemberError as exc:
            return SignatureCheck(SignatureState.INVALID, detail=str(exc))
    check = check_signature(signature, reader.manifest_bytes, trusted)
    declared = (reader.manifest.custody or {}).get("signed_by")
    if declared and check.state is SignatureState.UNSIGNED:
        detail = f"the manifest says it was signed by {declared}; the signature is missing"
        return SignatureCheck(SignatureState.INVALID, declared, detail)
    if declared and check.fingerprint and check.fingerprint != declared:
        detail = f"signed by {check.fingerprint}, the manifest names {declared}"
        return SignatureCheck(SignatureState.INVALID, check.fingerprint, detail)
    return check


def _check_members(reader: BundleReader, report: VerifyReport) -> None:
    manifest = reader.manifest
    present = set(reader.names())
    listed = Counter(m.name for m in manifest.members)
    for name, count in listed.items():
        if count > 1:
            report.problems.append(Problem(name, f"listed {count} times in the manifest"))
    for member in manifest.members:
        if member.name not in present:
            report.problems.append(Problem(member.name, "listed in the manifest, missing"))
            continue
        try:
            digest, size = _member_digest(reader, member.name)
        except MemberError as exc:
            report.problems.append(Problem(member.name, str(exc).removeprefix(member.name + ": ")))
            continue
        report.members_checked += 1
        if digest != member.sha256:
            report.problems.append(
                Problem(member.name, f"sha256 differs: {digest} != {member.sha256}")
            )
        if size != member.size:
            report.problems.append(Problem(member.name, f"size differs: {size} != {member.size}"))
    for name in sorted(present - set(listed) - SEALING_NAMES):
        report.problems.append(Problem(name, "in the archive, not in the manifest"))


def verify_bundle(
    path: str | Path, trusted: set[bytes] | None = None, clear: "ClearCopy | None" = None
) -> VerifyReport:
    """Raises BundleError when the file is not a zip at all; everything else is reported.
    `trusted`: the keys of --trust (None when none were given). `clear`: the decrypted copy
    of an encrypted bundle at `path` (the bundle's sha256 is then the ciphertext's)."""
    path = Path(path)
    with BundleReader(clear.path if clear else path, shown=path) as reader:
        sha256 = clear.ciphertext_sha256 if clear else _file_sha256(path)
        report = VerifyReport(bundle=str(path), bundle_sha256=sha256, encrypted=clear is not None)
        if reader.unsafe_names:
            report.refused = "members that unzip would write outside a folder or as links"
            report.problems = [Problem(name, reason) for name, reason in reader.unsafe_names]
            return report
        for name, count in reader.duplicates.items():
            report.problems.append(Problem(name, f"appears {count} times in the archive"))
        try:
            manifest = reader.manifest
        except BundleError as exc:
            report.refused = str(exc)
            return report
        report.manifest_sha256 = reader.manifest_sha256
        report.complete = manifest.complete
        report.incomplete_reason = manifest.incomplete_reason
        if (problem := _comment_problem(reader, report)) is not None:
            report.problems.append(problem)
        _check_members(reader, report)
        report.signature = _signature_check(reader, trusted)
        if report.signature.state is SignatureState.INVALID:
            report.problems.append(Problem(SIGNATURE_NAME, report.signature.describe()))
    report.problems += _sidecar_problems(path, report)
    return report
