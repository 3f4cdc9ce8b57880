"""`irkit review BUNDLE --memory`: volatility3 over the memory image a bundle holds, with the
symbol material collected beside it.

volatility3 reads files, so the image and the symbol files are copied out of the bundle into a
temporary directory on the analyst's machine, removed afterwards; the bundle is only read.
Results go to a separate file beside the bundle, like a rescan's.
"""

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from irkit.collectors.memory import IMAGE_MEMBER
from irkit.collectors.processes import ProcessRecord
from irkit.collectors.symbols import SymbolMaterialRecord
from irkit.evidence.reader import BundleReader, MemberError
from irkit.evidence.records import Record
from irkit.evidence.typed import records_of
from irkit.memory.analyze import MemoryAnalysis, SymbolMaterial, analyze_image, flag_hidden
from irkit.review.bundles import bundle_host
from irkit.timeutil import utc_now_iso

MEMORY_REVIEW_MEMBER = "review/memory.jsonl"


@dataclass
class MemoryReviewRecord(Record):
    """The head of a memory review file: which bundle and image, and what the analysis said."""

    kind: ClassVar[str] = "memory-review"
    bundle: str
    host: str | None
    """The hostname the bundle's manifest names."""
    image: str | None
    symbols: bool
    banners: list[str]
    messages: list[str]
    errors: list[str]
    time: str


def symbols_from_bundle(reader: BundleReader, out_dir: Path) -> SymbolMaterial | None:
    """Extract the memory collector's symbol material from a bundle into `out_dir`; None when
    the bundle holds none. A memory-symbols record that does not fit its type is a line in
    reader.problems, as if absent (it lives here, not in irkit.memory, which imports nothing
    from the collectors)."""
    record = next(records_of(reader, SymbolMaterialRecord), None)
    if record is None:
        return None
    material = SymbolMaterial(la57=record.la57)
    names = set(reader.names())
    for attr, member, filename in (
        ("btf", record.btf_member, "btf"),
        ("kallsyms", record.kallsyms_member, "kallsyms"),
        ("banner", record.banner_member, "version"),
    ):
        if member is not None and member in names:
            target = out_dir / filename
            with reader.open(member) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            setattr(material, attr, target)
    return material


def review_memory(
    reader: BundleReader, *, rules: Path | None = None
) -> tuple[MemoryReviewRecord, MemoryAnalysis | None]:
    """Analyse the bundle's image; None as the analysis when the bundle holds no image."""
    if IMAGE_MEMBER not in reader.names():
        head = MemoryReviewRecord(
            str(reader.path), bundle_host(reader), None, False, [],
            ["the bundle holds no memory image: collect with the memory collector's image option "
             "(the `full` playbook)"], [], utc_now_iso(),
        )  # fmt: skip
        return head, None
    with tempfile.TemporaryDirectory(prefix="irkit-review-") as tmp:
        work = Path(tmp)
        image = work / "image.lime"
        try:
            with reader.open(IMAGE_MEMBER) as src, image.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            (work / "symbols").mkdir()
            material = symbols_from_bundle(reader, work / "symbols")
        except MemberError as exc:
            # A refused or corrupt image or symbol member: named, and nothing is analysed.
            head = MemoryReviewRecord(
                str(reader.path),
                bundle_host(reader),
                IMAGE_MEMBER,
                False,
                [],
                [],
                [str(exc)],
                utc_now_iso(),
            )
            return head, None
        analysis = analyze_image(image, material=material, rules_path=rules)
    live = {process.pid for process in records_of(reader, ProcessRecord)}
    if analysis.symbols and live:
        analysis.findings += flag_hidden(analysis.processes, live)
    head = MemoryReviewRecord(
        str(reader.path), bundle_host(reader), IMAGE_MEMBER, analysis.symbols, analysis.banners,
        analysis.messages, analysis.errors, utc_now_iso(),
    )  # fmt: skip
    return head, analysis


def memory_review_records(
    head: MemoryReviewRecord, analysis: MemoryAnalysis | None
) -> list[Record]:
    """What `review --memory` writes beside the bundle: the head line, then its results."""
    records: list[Record] = [head]
    if analysis is not None:
        records += [*analysis.records(), *analysis.findings]
    return records
