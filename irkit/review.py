"""Review of sealed bundles: verify each one first, then load it for the summary and report.

Review is a list of steps over the loaded bundles. The base steps are verify and load; the
command appends more (a rescan with new rules, memory analysis) as `ReviewStep`s, each of which
may add records to a view (new findings under a `review/` member name) so that the summary, the
report and the timeline show them. The original bundle is only ever read.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from irkit.evidence.reader import BundleReader
from irkit.evidence.verify import VerifyReport, verify_bundle
from irkit.evidence.view import BundleView, Integrity, view_from_reader


@dataclass
class ReviewedBundle:
    path: Path
    verification: VerifyReport
    view: BundleView

    @property
    def intact(self) -> bool:
        return self.verification.intact


ReviewStep = Callable[[Sequence[ReviewedBundle]], None]


def integrity_of(report: VerifyReport) -> Integrity:
    return Integrity(
        sealed=True,
        manifest_sha256=report.manifest_sha256,
        bundle_sha256=report.bundle_sha256,
        verified=report.intact,
        problems=[f"{p.member}: {p.problem}" for p in report.problems]
        + ([report.refused] if report.refused else []),
        complete=report.complete,
        incomplete_reason=report.incomplete_reason,
    )


def load_verified(path: Path, report: VerifyReport) -> ReviewedBundle:
    """Load a bundle already verified (raises BundleError if it is not a zip at all)."""
    with BundleReader(path) as reader:
        view = view_from_reader(reader, integrity_of(report))
    return ReviewedBundle(path, report, view)


def verify_all(paths: Sequence[Path]) -> list[VerifyReport]:
    return [verify_bundle(path) for path in paths]


def run_steps(bundles: Sequence[ReviewedBundle], steps: Sequence[ReviewStep]) -> None:
    for step in steps:
        step(bundles)
