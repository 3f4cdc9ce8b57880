"""Full-image acquisition: kcore -> LiME over System RAM, the responder's acquirer, records."""

import json
import os
import struct
from pathlib import Path

import pytest

from irkit.collectors.base import Context
from irkit.collectors.memory import IMAGE_MEMBER, MemoryCollector
from irkit.evidence.reader import BundleReader
from irkit.evidence.writer import EvidenceWriter
from irkit.limits import Limits
from irkit.memory.acquire import (
    AcquisitionError,
    parse_iomem_ram,
    parse_kcore_segments,
    plan_kcore_image,
    stream_lime,
)
from irkit.memory.layout import image_layout

FIXTURES = Path(__file__).parent / "fixtures" / "memory"
BANNER = (
    b"Linux version 6.1.0-irkit-synthetic (test@irkit) (gcc-12 (Debian 12.2.0)) "
    b"#1 SMP PREEMPT_DYNAMIC Debian 6.1.0-1 (2026-01-01)\n\0"
)
BANNER_PHYS = 0x123450
MARKER_PHYS = 0x2F0000
# (physical address, size) of the synthetic kcore's RAM segments; one more segment
# without a physical address stands for kcore's vmalloc/module areas.
SEGMENTS = [(0x0, 0x100000), (0x100000, 0x300000)]


def synthetic_kcore(path: Path) -> None:
    """An ELF64 core laid out like /proc/kcore: PT_LOADs with p_paddr, then the bytes."""
    phnum = len(SEGMENTS) + 1
    data_off = 0x1000
    headers = []
    offset = data_off
    for paddr, size in SEGMENTS:
        headers.append(
            struct.pack(
                "<IIQQQQQQ", 1, 7, offset, 0xFFFF888000000000 + paddr, paddr, size, size, 0x1000
            )
        )
        offset += size
    headers.append(
        struct.pack(
            "<IIQQQQQQ",
            1,
            7,
            offset,
            0xFFFFC90000000000,
            0xFFFFFFFFFFFFFFFF,
            0x1000,
            0x1000,
            0x1000,
        )
    )
    ehdr = struct.pack(
        "<16sHHIQQQIHHHHHH",
        b"\x7fELF\x02\x01\x01" + b"\0" * 9,
        4,
        62,
        1,
        0,
        64,
        0,
        0,
        64,
        56,
        phnum,
        0,
        0,
        0,
    )
    memory = bytearray(sum(size for _, size in SEGMENTS))
    memory[BANNER_PHYS : BANNER_PHYS + len(BANNER)] = BANNER
    memory[MARKER_PHYS : MARKER_PHYS + 20] = b"IRKIT-KCORE-MARKER-1"
    memory[0x500:0x520] = b"RESERVED-NOT-RAM-RESERVED-NOT-RA"  # in a Reserved range: left out
    with path.open("wb") as handle:
        handle.write(ehdr + b"".join(headers))
        handle.seek(data_off)
        handle.write(memory)
        handle.write(b"\xee" * 0x1000)


def kcore_proc(tmp_path: Path) -> Path:
    proc = tmp_path / "proc"
    proc.mkdir()
    synthetic_kcore(proc / "kcore")
    (proc / "iomem").write_bytes((FIXTURES / "iomem").read_bytes())
    return proc


def test_iomem_fixture_gives_system_ram() -> None:
    ram = parse_iomem_ram((FIXTURES / "iomem").read_text())
    assert [(r.start, r.end) for r in ram] == [(0x1000, 0x9FBFF), (0x100000, 0x3FFFFF)]


def test_corrupt_iomem_is_named() -> None:
    with pytest.raises(AcquisitionError, match=r"iomem:3: not an iomem line"):
        parse_iomem_ram((FIXTURES / "iomem.corrupt").read_text(), "iomem")
    with pytest.raises(AcquisitionError, match="not read as root"):
        parse_iomem_ram("00000000-00000000 : System RAM\n00000000-00000000 : System RAM\n")


def test_kcore_to_lime_opens_in_volatility3(tmp_path: Path, run_irkit) -> None:  # type: ignore[no-untyped-def]
    proc = kcore_proc(tmp_path)
    head = (proc / "kcore").read_bytes()[:0x1000]
    segments = parse_kcore_segments(head)
    assert [(s.physical, s.length) for s in segments] == SEGMENTS
    plan = plan_kcore_image(segments, parse_iomem_ram((proc / "iomem").read_text()))
    lime = tmp_path / "image.lime"
    lime.write_bytes(b"".join(stream_lime(plan, proc / "kcore")))
    layout = image_layout(lime)
    assert layout.format == "lime"
    assert [(r.physical, r.length) for r in layout.ranges] == [
        (0x1000, 0x9EC00),
        (0x100000, 0x300000),
    ]
    data = lime.read_bytes()
    assert b"RESERVED-NOT-RAM" not in data
    # volatility3 stacks the LiME file and finds the planted banner (acceptance 2), and the
    # no-symbols YARA scan reports the physical address of the marker.
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "m.yar").write_text(
        'rule kcore_marker { strings: $m = "IRKIT-KCORE-MARKER-1" condition: $m }'
    )
    done = run_irkit("memory", "analyze", lime, "--rules", rules, "--json")
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    result = json.loads(done.stdout)
    assert result["image_format"] == "lime"
    assert BANNER.rstrip(b"\n\0").decode() in result["banners"]
    assert result["image_hits"][0]["physical_offsets"] == [MARKER_PHYS]
    assert "6.1.0-irkit-synthetic" in result["messages"][0]


def _context(tmp_path: Path, proc: Path, options: dict) -> tuple[Context, Path]:  # type: ignore[type-arg]
    bundle = tmp_path / "b.zip"
    handle = bundle.open("wb")
    writer = EvidenceWriter(handle, command_line=["test"])
    ctx = Context(
        writer=writer,
        root=tmp_path / "root",
        proc=proc,
        options={"memory": options},
        collector="memory",
    )
    (tmp_path / "root").mkdir(exist_ok=True)
    return ctx, bundle


def _finish(ctx: Context, bundle: Path) -> BundleReader:
    ctx.writer.write_records("records/memory.jsonl", ctx.records, collector="memory")
    ctx.writer.close(complete=True)
    return BundleReader(bundle)


def test_collector_takes_kcore_image_without_acquirer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    proc = kcore_proc(tmp_path)
    ctx, bundle = _context(tmp_path, proc, {"image": True})
    MemoryCollector().collect(ctx)
    reader = _finish(ctx, bundle)
    image = next(reader.records("memory-image"))
    assert image["method"] == "kcore" and image["member"] == IMAGE_MEMBER
    assert image["attempts"] == ["no acquirer: avml not on PATH and no acquirer option"]
    entry = next(m for m in reader.manifest.members if m.name == IMAGE_MEMBER)
    assert entry.sha256 == image["sha256"] and entry.size == 0x9EC00 + 0x300000 + 64
    assert reader.read(IMAGE_MEMBER)[:4] == b"EMiL"
    symbols = next(reader.records("memory-symbols"))
    assert symbols["btf_member"] is None and symbols["problems"]


def test_collector_streams_the_responders_acquirer(tmp_path: Path) -> None:
    """A stand-in for avml (the real one cannot be fetched at test time): an old-style tool
    that refuses the `acquire` subcommand and then writes a LiME to the path it is given."""
    proc = kcore_proc(tmp_path)
    lime = tmp_path / "from-tool.lime"
    lime.write_bytes(
        b"".join(
            stream_lime(
                plan_kcore_image(
                    parse_kcore_segments((proc / "kcore").read_bytes()[:4096]),
                    parse_iomem_ram((proc / "iomem").read_text()),
                ),
                proc / "kcore",
            )
        )
    )
    tool = tmp_path / "avml"
    tool.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = acquire ]; then echo "unknown arg" >&2; exit 2; fi\n'
        f'cat {lime} > "$1"\n'
    )
    tool.chmod(0o755)
    ctx, bundle = _context(tmp_path, proc, {"image": True, "acquirer": str(tool)})
    MemoryCollector().collect(ctx)
    reader = _finish(ctx, bundle)
    image = next(reader.records("memory-image"))
    assert image["method"] == "acquirer:avml" and not image["partial"]
    assert reader.read(IMAGE_MEMBER) == lime.read_bytes()


def test_collector_records_why_no_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    proc = tmp_path / "proc"
    proc.mkdir()
    ctx, bundle = _context(tmp_path, proc, {"image": True})
    MemoryCollector().collect(ctx)
    reader = _finish(ctx, bundle)
    image = next(reader.records("memory-image"))
    assert image["member"] is None and image["method"] == "none"
    assert any("kcore" in a for a in image["attempts"])
    assert any(e["step"] == "image" and e["outcome"] == "skipped" for e in reader.log_entries())


def test_collector_dumps_selected_pids(tmp_path: Path) -> None:
    ctx, bundle = _context(tmp_path, Path("/proc"), {"pids": [os.getpid()]})
    ctx.limits = Limits(dump_bytes=1 << 20)
    MemoryCollector().collect(ctx)
    reader = _finish(ctx, bundle)
    dump = next(reader.records("memory-dump"))
    assert dump["pid"] == os.getpid() and dump["member"] == f"memory/pid-{os.getpid()}.core"
    assert reader.read(dump["member"])[:4] == b"\x7fELF"
    assert dump["bytes_read"] <= 1 << 20


def test_overlapping_kcore_segments_keep_each_byte_once() -> None:
    from irkit.memory.acquire import KcoreSegment, RamRange

    segments = [KcoreSegment(0x10000, 0x0, 0x400000), KcoreSegment(0x900000, 0x200000, 0x100000)]
    plan = plan_kcore_image(segments, [RamRange(0x100000, 0x3FFFFF)])
    assert plan.pieces == [(0x100000, 0x110000, 0x300000)]
