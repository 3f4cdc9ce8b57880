"""Full memory image acquisition, streamed into the bundle, never held in RAM or on disk.

Order of preference: an acquirer the responder brought (avml on PATH, or --acquirer PATH),
then /proc/kcore converted to LiME by irkit, else a record of why no image was taken.

The acquirer writes to /dev/stdout, which is the pipe irkit reads: no temporary file and no
FIFO node on the suspect host's disks. avml >= 0.19 takes `avml acquire FILE`, older ones
`avml FILE`; the subcommand form is tried first.

kcore is an ELF core of the kernel's view of memory; its PT_LOAD headers carry physical
addresses (p_paddr) for the direct map of RAM. Only the System RAM ranges of /proc/iomem
are kept (device memory can hang the machine when read), each as one LiME range.
"""

import os
import re
import shutil
import struct
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from irkit.confined import open_proc, open_regular, proc_file, read_capped
from irkit.limits import Limits
from irkit.memory.layout import PT_LOAD, lime_header

CHUNK = 1 << 20
IOMEM_LINE = re.compile(r"^(\s*)([0-9a-fA-F]+)-([0-9a-fA-F]+) : (.*)$")
ACQUIRER_TIMEOUT = 6 * 3600


class AcquisitionError(Exception):
    """No image could be taken this way; the message says why."""


@dataclass(frozen=True)
class RamRange:
    start: int
    end: int
    """Inclusive, as /proc/iomem and LiME write it."""


@dataclass(frozen=True)
class KcoreSegment:
    file_offset: int
    physical: int
    length: int


@dataclass
class ImagePlan:
    """The LiME ranges an image will hold, known before the first byte is read."""

    source: str
    pieces: list[tuple[int, int, int]] = field(default_factory=list)
    """(physical start, kcore file offset, length)."""

    @property
    def total(self) -> int:
        return sum(length for _, _, length in self.pieces)


def parse_iomem_ram(text: str, source: str = "/proc/iomem") -> list[RamRange]:
    """Top-level `System RAM` ranges. All-zero ranges mean iomem was read without root."""
    ranges: list[RamRange] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = IOMEM_LINE.match(line)
        if match is None:
            raise AcquisitionError(f"{source}:{number}: not an iomem line: {line[:80]!r}")
        indent, start, end, name = match.groups()
        if indent == "" and name.strip() == "System RAM":
            ranges.append(RamRange(int(start, 16), int(end, 16)))
    if ranges and all(r.start == 0 and r.end == 0 for r in ranges):
        raise AcquisitionError(f"{source}: addresses read as 0 (not read as root)")
    return ranges


def parse_kcore_segments(head: bytes, source: str = "/proc/kcore") -> list[KcoreSegment]:
    """PT_LOAD segments with a physical address, from the start of an ELF64 core."""
    if head[:4] != b"\x7fELF" or len(head) < 64 or head[4] != 2:
        raise AcquisitionError(f"{source}: not an ELF64 core")
    phoff = struct.unpack_from("<Q", head, 32)[0]
    phentsize, phnum = struct.unpack_from("<HH", head, 54)
    if phoff + phentsize * phnum > len(head):
        raise AcquisitionError(f"{source}: program headers beyond the first {len(head)} bytes")
    segments = []
    for i in range(phnum):
        p_type, _flags, offset, _vaddr, paddr, filesz = struct.unpack_from(
            "<IIQQQQ", head, phoff + i * phentsize
        )
        # kcore gives non-RAM areas (vmalloc, modules, vmemmap) a p_paddr of -1.
        if p_type == PT_LOAD and filesz and paddr != 0xFFFFFFFFFFFFFFFF:
            segments.append(KcoreSegment(offset, paddr, filesz))
    return segments


def plan_kcore_image(segments: list[KcoreSegment], ram: list[RamRange]) -> ImagePlan:
    """The intersection of kcore's physical segments with System RAM, in address order."""
    plan = ImagePlan("kcore")
    for r in sorted(ram, key=lambda r: r.start):
        for seg in segments:
            lo = max(r.start, seg.physical)
            hi = min(r.end + 1, seg.physical + seg.length)
            if lo < hi:
                plan.pieces.append((lo, seg.file_offset + (lo - seg.physical), hi - lo))
    # The kernel text segment maps RAM the direct-map segment already covers: keep each
    # physical byte once.
    plan.pieces.sort()
    kept: list[tuple[int, int, int]] = []
    for physical, offset, length in plan.pieces:
        covered = kept[-1][0] + kept[-1][2] if kept else 0
        if physical < covered:
            trim = min(length, covered - physical)
            physical, offset, length = physical + trim, offset + trim, length - trim
        if length:
            kept.append((physical, offset, length))
    plan.pieces = kept
    return plan


def stream_lime(
    plan: ImagePlan, kcore: Path, on_error: Callable[[str], None] | None = None
) -> Iterator[bytes]:
    """The LiME image: a header then the bytes of each range. Unreadable pages read as
    zeros (logged once per range), so every range keeps its declared length."""
    with open_regular(kcore) as handle:
        fd = handle.fileno()
        for physical, offset, length in plan.pieces:
            yield lime_header(physical, physical + length - 1)
            done = 0
            reported = False
            while done < length:
                want = min(CHUNK, length - done)
                try:
                    chunk = os.pread(fd, want, offset + done)
                except OSError as exc:
                    chunk = b""
                    if on_error is not None and not reported:
                        on_error(f"{physical + done:#x}: {exc.strerror or exc}")
                        reported = True
                if len(chunk) < want:
                    chunk += bytes(want - len(chunk))
                done += want
                yield chunk


def plan_from_proc(proc: Path) -> tuple[ImagePlan, Path]:
    kcore = proc_file(proc, "kcore")
    try:
        with open_regular(kcore) as handle:
            head = handle.read(1 << 16)
        with open_proc(proc, "iomem") as handle:
            iomem = read_capped(handle.fileno(), Limits().proc_read_bytes)[0].decode(
                errors="replace"
            )
    except OSError as exc:
        raise AcquisitionError(f"{exc.filename}: {exc.strerror or exc}") from exc
    plan = plan_kcore_image(parse_kcore_segments(head), parse_iomem_ram(iomem))
    if not plan.pieces:
        raise AcquisitionError("/proc/kcore has no segment inside System RAM")
    return plan, kcore


def find_acquirer(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    found = shutil.which("avml")
    return Path(found) if found else None


def run_acquirer(tool: Path) -> Iterator[bytes]:
    """Run the responder's acquirer with its output on our pipe, yielding the image.

    Raises AcquisitionError when it fails before writing anything (so kcore can be tried);
    a failure after bytes were streamed is raised too, and the member stays partial.
    """
    last_error = ""
    for args in (["acquire", "/dev/stdout"], ["/dev/stdout"]):
        proc = subprocess.Popen(
            [str(tool), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        assert proc.stdout is not None and proc.stderr is not None
        wrote = False
        while True:
            chunk = proc.stdout.read(CHUNK)
            if not chunk:
                break
            wrote = True
            yield chunk
        stderr = proc.stderr.read().decode(errors="replace").strip()
        code = proc.wait(timeout=ACQUIRER_TIMEOUT)
        if code == 0 and wrote:
            return
        last_error = f"{tool} {' '.join(args)}: exit {code}: {stderr[-300:]}"
        if wrote:
            raise AcquisitionError(last_error)
    raise AcquisitionError(last_error)
