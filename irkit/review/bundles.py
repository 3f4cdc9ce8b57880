"""Review of sealed bundles: verify each one first, then load it for the summary and report.

Review is a list of steps over the loaded bundles. The base steps are verify and load; the
command appends more (a rescan with new rules, memory analysis) as `ReviewStep`s, each of which
may add records to a view (new findings under a `review/` member name) so that the summary, the
report and the timeline show them. The original bundle is only ever read.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from irkit.custody.encryption import ClearCopy, clear_copy
from irkit.evidence.reader import BundleReader
from irkit.evidence.records import severity_rank
from irkit.evidence.verify import VerifyReport, verify_bundle
from irkit.evidence.view import BundleView, Integrity, view_from_reader
from irkit.exitcodes import ExitCode
from irkit.report.summary import Summary


@dataclass
class ReviewedBundle:
    path: Path
    verification: VerifyReport
    view: BundleView
    clear: ClearCopy | None = None
    """The decrypted copy in memory of an encrypted bundle."""

    @property
    def intact(self) -> bool:
        return self.verification.intact

    def reader(self) -> BundleReader:
        return open_reader(self.path, self.clear)


def open_reader(path: Path, clear: ClearCopy | None) -> BundleReader:
    return BundleReader(clear.path if clear else path, shown=path)


def bundle_host(reader: BundleReader) -> str | None:
    """The hostname a bundle's manifest names (None when it names none or cannot be read):
    every record a review exports says which host it came from."""
    manifest = reader.manifest_or_none()
    name = manifest.host.get("hostname") if manifest else None
    return name if isinstance(name, str) else None


ReviewStep = Callable[[Sequence[ReviewedBundle]], None]


def integrity_of(report: VerifyReport) -> Integrity:
    signature = report.signature
    return Integrity(
        signature=signature.describe() if signature else None,
        signature_state=signature.state.value if signature else None,
        signed_by=signature.fingerprint if signature else None,
        encrypted=report.encrypted,
        sealed=True,
        manifest_sha256=report.manifest_sha256,
        bundle_sha256=report.bundle_sha256,
        verified=report.intact,
        problems=[f"{p.member}: {p.problem}" for p in report.problems]
        + ([report.refused] if report.refused else []),
        complete=report.complete,
        incomplete_reason=report.incomplete_reason,
    )


def load_verified(
    path: Path, report: VerifyReport, clear: ClearCopy | None = None
) -> ReviewedBundle:
    """Load a bundle already verified (raises BundleError if it is not a zip at all)."""
    with open_reader(path, clear) as reader:
        view = view_from_reader(reader, integrity_of(report))
    return ReviewedBundle(path, report, view, clear)


@dataclass
class Verified:
    report: VerifyReport
    clear: ClearCopy | None


def verify_all(
    paths: Sequence[Path],
    trusted: set[bytes] | None = None,
    identities: Sequence[object] = (),
) -> list[Verified]:
    """Verify each bundle, decrypting an encrypted one into memory first (CustodyError when
    it cannot be: no identity, the wrong one, damaged ciphertext)."""
    verified = []
    for path in paths:
        clear = clear_copy(path, identities)
        verified.append(Verified(verify_bundle(path, trusted, clear), clear))
    return verified


def run_steps(bundles: Sequence[ReviewedBundle], steps: Sequence[ReviewStep]) -> None:
    for step in steps:
        step(bundles)


def review_exit_code(bundles: Sequence[ReviewedBundle], summary: Summary, fail_on: str) -> int:
    """1 when a finding is at or above `fail_on` or a bundle is not intact, else 0."""
    worst = max((severity_rank(str(f.get("severity"))) for f in summary.findings), default=-1)
    if worst >= severity_rank(fail_on) or not all(b.intact for b in bundles):
        return ExitCode.FINDINGS
    return ExitCode.CLEAN
