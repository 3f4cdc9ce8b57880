"""Recompute every hash in a bundle and name whatever differs from the manifest."""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from irkit.evidence.manifest import MANIFEST_NAME
from irkit.evidence.reader import CHUNK, BundleError, BundleReader, MemberError

SIDECAR_MAX_BYTES = 4096
"""A `sha256sum` line is about 100 bytes; more is not read."""


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


def _sidecar_problem(path: Path, bundle_sha256: str) -> Problem | None:
    sidecar = path.with_name(path.name + ".sha256")
    if not sidecar.is_file():
        return None
    with sidecar.open("rb") as handle:
        recorded = handle.read(SIDECAR_MAX_BYTES).decode(errors="replace").split()[:1]
    if recorded != [bundle_sha256]:
        return Problem(sidecar.name, "the bundle's sha256 differs from the one written beside it")
    return None


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
    for name in sorted(present - set(listed) - {MANIFEST_NAME}):
        report.problems.append(Problem(name, "in the archive, not in the manifest"))


def verify_bundle(path: str | Path) -> VerifyReport:
    """Raises BundleError when the file is not a zip at all; everything else is reported."""
    path = Path(path)
    with BundleReader(path) as reader:
        report = VerifyReport(bundle=str(path), bundle_sha256=_file_sha256(path))
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
        _check_members(reader, report)
    if (problem := _sidecar_problem(path, report.bundle_sha256)) is not None:
        report.problems.append(problem)
    return report
