"""Recompute every hash in a bundle and name whatever differs from the manifest."""

import hashlib
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from irkit.evidence.manifest import MANIFEST_NAME
from irkit.evidence.reader import BundleError, BundleReader

CHUNK = 1 << 20


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


def verify_bundle(path: str | Path) -> VerifyReport:
    """Raises BundleError when the file is not a zip at all; everything else is reported."""
    path = Path(path)
    report = VerifyReport(bundle=str(path), bundle_sha256=_file_sha256(path))
    with BundleReader(path) as reader:
        if reader.unsafe_names:
            report.refused = "the archive holds member names that would write outside a folder"
            report.problems = [Problem(name, reason) for name, reason in reader.unsafe_names]
            return report
        names = reader.names()
        for name, count in Counter(names).items():
            if count > 1:
                report.problems.append(Problem(name, f"appears {count} times in the archive"))
        try:
            manifest = reader.manifest
        except BundleError as exc:
            report.refused = str(exc)
            return report
        report.manifest_sha256 = hashlib.sha256(reader.read(MANIFEST_NAME)).hexdigest()
        report.complete = manifest.complete
        report.incomplete_reason = manifest.incomplete_reason
        present = set(names)
        listed = {m.name for m in manifest.members}
        for member in manifest.members:
            if member.name not in present:
                report.problems.append(Problem(member.name, "listed in the manifest, missing"))
                continue
            try:
                digest, size = _member_digest(reader, member.name)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                report.problems.append(Problem(member.name, f"unreadable: {exc}"))
                continue
            report.members_checked += 1
            if digest != member.sha256:
                report.problems.append(
                    Problem(member.name, f"sha256 differs: {digest} != {member.sha256}")
                )
            if size != member.size:
                report.problems.append(
                    Problem(member.name, f"size differs: {size} != {member.size}")
                )
        for name in sorted(present - listed - {MANIFEST_NAME}):
            report.problems.append(Problem(name, "in the archive, not in the manifest"))
    sidecar = path.with_name(path.name + ".sha256")
    if sidecar.is_file():
        recorded = sidecar.read_text(errors="replace").split()[:1]
        if recorded != [report.bundle_sha256]:
            report.problems.append(
                Problem(sidecar.name, "the bundle's sha256 differs from the one written beside it")
            )
    return report
