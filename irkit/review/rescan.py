"""Re-hunt a sealed bundle with new rules, reading its members in place.

The bundle is only read: members stream out of the zip into the same windowed
scanner that reads live process memory, so a large memory image is never
extracted or held whole. Findings go to a separate review file.
"""

import errno
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, ClassVar

from irkit.evidence.manifest import LOG_NAME, MANIFEST_NAME
from irkit.evidence.reader import BundleError, BundleReader, MemberError
from irkit.evidence.records import Finding, Record, dumps_record
from irkit.hunt import RuleSet, TargetResult, YaraHit, hit_to_finding
from irkit.hunt.files import file_externals
from irkit.hunt.windows import Extent, scan_extents
from irkit.outfile import open_output_file
from irkit.review.bundles import bundle_host
from irkit.timeutil import utc_now_iso

REVIEW_MEMBER = "review/rescan.jsonl"
MAX_SAME_SECOND = 100
"""The name rescan findings carry in a review (they are not in the bundle)."""
NOT_EVIDENCE = ("records/", "iocs.", "report.html", MANIFEST_NAME, LOG_NAME)


@dataclass
class RescanRecord(Record):
    """The head of a review file: which bundle, which rules, when."""

    kind: ClassVar[str] = "rescan"
    bundle: str
    host: str | None
    """The hostname the bundle's manifest names."""
    bundle_manifest_sha256: str | None
    rules: list[str]
    rules_sha256: str
    time: str
    members_scanned: int
    errors: list[str]


class _SequentialReader:
    """`read_at` over a zip member: the windowed scanner reads forward, so no seeks are needed."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.position = 0

    def __call__(self, address: int, count: int) -> bytes:
        """A member that turns out corrupt or larger than allowed is a read error (OSError),
        which the scanner notes and moves past."""
        try:
            if address != self.position:
                self.handle.seek(address)
            data = self.handle.read(count)
        except MemberError as exc:
            raise OSError(str(exc)) from exc
        self.position = address + len(data)
        return data


def evidence_members(reader: BundleReader) -> Iterator[str]:
    for name in reader.names():
        if not name.startswith(NOT_EVIDENCE) and not name.endswith("/"):
            yield name


def scan_member(reader: BundleReader, ruleset: RuleSet, name: str, origin: str) -> TargetResult:
    size = reader.size(name)
    with reader.open(name) as handle:
        head = handle.read(16)
    externals = file_externals(origin, head, 0)
    result = TargetResult(name, "bundle-member")
    with reader.open(name) as handle:
        return scan_extents(
            ruleset.rules,
            [Extent(0, size)],
            _SequentialReader(handle),
            result,
            path=origin,
            externals=externals,
        )


def rescan_bundle(
    reader: BundleReader, ruleset: RuleSet, *, manifest_sha256: str | None = None
) -> tuple[RescanRecord, list[Finding]]:
    """Every evidence member is scanned through the hardened reader; one that cannot be read
    (refused, corrupt, larger than its manifest size) is an error line, never the end."""
    try:
        sources = {m.name: m.source for m in reader.manifest.members}
    except BundleError as exc:
        sources, errors = {}, [str(exc)]
    else:
        errors = []
    findings: list[Finding] = []
    scanned = 0
    for name in evidence_members(reader):
        origin = sources.get(name) or name
        try:
            result = scan_member(reader, ruleset, name, origin)
        except MemberError as exc:
            errors.append(str(exc))
            continue
        scanned += 1
        errors += [f"{name}: {e}" for e in result.errors]
        findings += [_finding(hit, name) for hit in result.hits]
    head = RescanRecord(
        bundle=str(reader.path),
        host=bundle_host(reader),
        bundle_manifest_sha256=manifest_sha256,
        rules=[str(f) for f in ruleset.files],
        rules_sha256=ruleset.sha256,
        time=utc_now_iso(),
        members_scanned=scanned,
        errors=errors,
    )
    return head, findings


def _finding(hit: YaraHit, member: str) -> Finding:
    finding = hit_to_finding(hit, evidence=[member])
    finding.title = f"YARA {hit.rule} (rescan) on {hit.path}"
    return finding


def write_review_lines(bundle: Path, kind: str, records: Sequence[Record]) -> Path:
    """Review results live beside the bundle (never inside it: the bundle stays as sealed),
    named after it, what made them and when. A second review in the same second gets `-2`,
    `-3`...: never an overwrite, never a link followed (outfile.create_output)."""
    stamp = utc_now_iso().replace(":", "").replace("-", "").split(".")[0]
    for n in range(1, MAX_SAME_SECOND + 1):
        path = bundle.with_name(f"{bundle.name}.{kind}-{stamp}Z{'' if n == 1 else f'-{n}'}.jsonl")
        try:
            handle = open_output_file(path, "w", force=False, encoding="ascii")
        except FileExistsError:
            continue
        with handle:
            for record in records:
                handle.write(dumps_record(record) + "\n")
        return path
    raise FileExistsError(errno.EEXIST, f"{MAX_SAME_SECOND} review files this second", str(path))
