"""Dump a live process's memory as an ELF core, streamed, from /proc/PID/maps and /proc/PID/mem.

Why not gcore: it runs the debugger on the suspect host, stops the process with ptrace and
needs the whole image on disk before it can be copied. Reading /proc/PID/mem needs no stop
(root reads it through ptrace-read permission only), and the core streams straight into
the bundle: one PT_LOAD per region, in maps order, the maps text kept in a PT_NOTE
("IRKIT"/maps) so the file names behind each region survive. `readelf -l`, gdb and YARA
open the result.

The layout is computed from maps before any byte is read, so the core can stream; a region
that turns out unreadable mid-way (the process exited, a page vanished) is padded with
zeros to its declared size and logged, which keeps every program header truthful about
where its bytes sit, and the dump is marked partial.

Regions are read in chunks aligned to CHUNK in the address space (2 MiB, a transparent huge
page). Before a chunk of a private anonymous region is read, /proc/PID/pagemap says whether
any of its pages was ever touched (present or swapped): one that was not reads as zeros, so
zeros are written without reading it, which also spares the target the zero-page mappings a
read through /proc/PID/mem would make. A reserved, untouched heap costs no read at all.
"""

import mmap
import os
import stat
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from irkit.confined import open_proc, open_regular, proc_file
from irkit.parsers.procmaps import MapsRegion, parse_maps

CHUNK = 2 << 20
PAGE = mmap.PAGESIZE
PAGEMAP_ENTRY = 8
TOUCHED_BITS = bytes(b & 0xC0 for b in range(256))
"""The top byte of a little-endian pagemap entry, masked to bits 63 (present) and 62
(swapped); the soft-dirty bit may be set on a hole and says nothing about its content."""
SKIP_NAMES = {
    "[vvar]": "the kernel answers EIO for [vvar]",
    "[vvar_vclock]": "the kernel answers EIO for [vvar_vclock]",
    "[vsyscall]": "[vsyscall] lies above the largest offset /proc/PID/mem accepts",
}
NOTE_NAME = b"IRKIT"
NT_IRKIT_MAPS = 0x4D415053  # "MAPS"
NT_IRKIT_PARTIAL = 0x50415254  # "PART"
EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
PT_LOAD, PT_NOTE = 1, 4
PF_X, PF_W, PF_R = 1, 2, 4
ET_CORE, EM_X86_64, EM_AARCH64 = 4, 62, 183

LogFn = Callable[..., None]


class Zeros(bytes):
    """A chunk of the core known to be zeros without reading it (untouched pages, padding
    after a failed read): a file writer may leave a hole for it (`write_core`)."""


class MapsError(ValueError):
    """A maps line that does not parse; the message names the line."""


@dataclass
class DumpBudget:
    max_region: int | None = None
    """Regions larger than this are cut to their first `max_region` bytes."""
    max_total: int | None = None
    """The region that crosses this many bytes in total is cut there, the ones after it are
    left out (listed in the log): a 64 GiB sparse mapping costs at most this."""
    total_name: str = "max_total"
    """The cap `max_total` stands for, as the record and the log name it."""


@dataclass
class DumpPlan:
    """What will go into the core, known before reading, so the core can be streamed."""

    pid: int
    maps_text: bytes
    regions: list[tuple[MapsRegion, int]]
    """(region, bytes to take from its start)."""
    skipped: list[tuple[MapsRegion, str]] = field(default_factory=list)
    capped: list[str] = field(default_factory=list)
    """The caps that cut or left out regions: the dump is partial."""

    @property
    def total(self) -> int:
        return sum(n for _, n in self.regions)


@dataclass
class DumpResult:
    pid: int
    regions: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    bytes_untouched: int = 0
    """Zeros written for pages never touched (pagemap), without reading them."""
    skipped: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    partial: bool = False
    cap: str | None = None
    """The size cap that cut the dump, named (`dump_bytes`, `max_region`...)."""


def plan_dump(pid: int, maps_text: bytes, budget: DumpBudget | None = None) -> DumpPlan:
    budget = budget or DumpBudget()
    plan = DumpPlan(pid, maps_text, [])
    total = 0
    regions, problems = parse_maps(maps_text, f"/proc/{pid}/maps")
    if problems:
        raise MapsError(problems[0])
    for region in regions:
        reason = SKIP_NAMES.get(region.path)
        if reason is None and region.perms[0] != "r":
            reason = "not readable (no r permission)"
        if reason is None and region.size == 0:
            reason = "empty"
        if reason is not None:
            plan.skipped.append((region, reason))
            continue
        take = region.size
        if budget.max_region is not None and take > budget.max_region:
            take = budget.max_region
            _note_cap(plan, "max_region")
        if budget.max_total is not None and total + take > budget.max_total:
            _note_cap(plan, budget.total_name)
            take = budget.max_total - total
            if take <= 0:
                plan.skipped.append(
                    (region, f"total budget reached: {budget.total_name} of {budget.max_total}")
                )
                continue
        total += take
        plan.regions.append((region, take))
    return plan


def _note_cap(plan: DumpPlan, name: str) -> None:
    if name not in plan.capped:
        plan.capped.append(name)


def _note(name: bytes, note_type: int, desc: bytes) -> bytes:
    name_z = name + b"\0"
    out = struct.pack("<III", len(name_z), len(desc), note_type) + name_z
    out += b"\0" * (-len(out) % 4) + desc
    return out + b"\0" * (-len(out) % 4)


def _flags(perms: str) -> int:
    return (
        (PF_R if perms[0] == "r" else 0)
        | (PF_W if perms[1] == "w" else 0)
        | (PF_X if perms[2] == "x" else 0)
    )


def _machine() -> int:
    return EM_AARCH64 if os.uname().machine in ("aarch64", "arm64") else EM_X86_64


def core_header(plan: DumpPlan, note: bytes) -> bytes:
    """ELF header + program headers + the note, with each PT_LOAD's file offset."""
    phnum = 1 + len(plan.regions)
    note_off = EHDR.size + PHDR.size * phnum
    data_off = (note_off + len(note) + 0xFFF) & ~0xFFF
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    header = EHDR.pack(
        ident, ET_CORE, _machine(), 1, 0, EHDR.size, 0, 0, EHDR.size, PHDR.size, phnum, 0, 0, 0
    )
    phdrs = [PHDR.pack(PT_NOTE, 0, note_off, 0, 0, len(note), 0, 4)]
    offset = data_off
    for region, take in plan.regions:
        phdrs.append(
            PHDR.pack(
                PT_LOAD, _flags(region.perms), offset, region.start, 0, take, region.size, 0x1000
            )
        )
        offset += take
    head = header + b"".join(phdrs) + note
    return head + b"\0" * (data_off - len(head))


def stream_core(
    plan: DumpPlan, mem_path: Path, result: DumpResult, log: LogFn | None = None
) -> Iterator[bytes]:
    """The core file's bytes, chunk by chunk; reads /proc/PID/mem lazily as it goes."""
    log = log or (lambda *a, **k: None)
    for region, reason in plan.skipped:
        result.skipped.append(f"{region.start:#x}-{region.end:#x} {region.path}: {reason}")
        log(
            "dump-skip-region",
            "skipped",
            reason,
            pid=plan.pid,
            region=f"{region.start:#x}-{region.end:#x}",
            path=region.path,
        )
    notes = _note(NOTE_NAME, NT_IRKIT_MAPS, plan.maps_text)
    head = core_header(plan, notes)
    result.bytes_written += len(head)
    yield head
    try:
        mem = open_regular(mem_path)
    except OSError as exc:
        mem = None
        result.partial = True
        log("dump-open-mem", "error", f"{type(exc).__name__}: {exc.strerror or exc}", pid=plan.pid)
    pagemap = _open_pagemap(mem_path)
    try:
        for region, take in plan.regions:
            result.regions += 1
            untouched = _untouched_test(pagemap, region)
            yield from _region_bytes(mem, region, take, result, plan.pid, log, untouched)
    finally:
        if mem is not None:
            mem.close()
        if pagemap is not None:
            os.close(pagemap)


def _open_pagemap(mem_path: Path) -> int | None:
    """/proc/PID/pagemap beside `mem_path`, or None (not readable: every chunk is read)."""
    try:
        with open_regular(mem_path.with_name("pagemap")) as handle:
            return os.dup(handle.fileno())
    except OSError:
        return None


def _untouched_test(pagemap: int | None, region: MapsRegion) -> Callable[[int, int], bool]:
    """Whether [address, address + size) of `region` holds only pages never touched. Only
    private anonymous memory reads as zeros where untouched: a file mapping's absent page is
    read from the file, a shared one may sit in the page cache."""
    anonymous = region.path in ("", "[heap]", "[stack]") or region.path.startswith("[anon:")
    if pagemap is None or not anonymous or region.perms[3] != "p":
        return lambda address, size: False

    def untouched(address: int, size: int) -> bool:
        first, last = address // PAGE, (address + size - 1) // PAGE
        try:
            entries = os.pread(pagemap, (last - first + 1) * PAGEMAP_ENTRY, first * PAGEMAP_ENTRY)
        except OSError:
            return False
        if len(entries) != (last - first + 1) * PAGEMAP_ENTRY:
            return False
        return not entries[7::PAGEMAP_ENTRY].translate(TOUCHED_BITS).strip(b"\0")

    return untouched


def _region_bytes(
    mem: object,
    region: MapsRegion,
    take: int,
    result: DumpResult,
    pid: int,
    log: LogFn,
    untouched: Callable[[int, int], bool],
) -> Iterator[bytes]:
    fd = mem.fileno() if mem is not None else -1  # type: ignore[attr-defined]
    done = 0
    failure: str | None = None if mem is not None else "/proc/PID/mem not open"
    while done < take and failure is None:
        address = region.start + done
        want = min(CHUNK - address % CHUNK, take - done)
        if untouched(address, want):
            done += want
            result.bytes_untouched += want
            result.bytes_written += want
            yield Zeros(want)
            continue
        try:
            chunk = os.pread(fd, want, region.start + done)
        except OSError as exc:
            failure = f"{type(exc).__name__}: {exc.strerror or exc} at {region.start + done:#x}"
            break
        if not chunk:
            failure = f"end of data at {region.start + done:#x} (process exited?)"
            break
        done += len(chunk)
        result.bytes_read += len(chunk)
        result.bytes_written += len(chunk)
        yield chunk
    if failure is not None:
        result.partial = True
        result.unreadable.append(f"{region.start:#x}-{region.end:#x} {region.path}: {failure}")
        log(
            "dump-read-region",
            "error",
            failure,
            pid=pid,
            region=f"{region.start:#x}-{region.end:#x}",
            path=region.path,
            read=done,
        )
        pad = take - done
        result.bytes_written += pad
        while pad > 0:
            n = min(CHUNK, pad)
            yield Zeros(n)
            pad -= n


def write_core(chunks: Iterable[bytes], out: BinaryIO) -> None:
    """Write a core's chunks to a file, the known-zero ones as holes in a regular file:
    a reserved, untouched heap costs neither a read nor a write (reading the hole gives the
    same zeros, so the file's hash is the same)."""
    sparse = stat.S_ISREG(os.fstat(out.fileno()).st_mode)
    for chunk in chunks:
        if sparse and isinstance(chunk, Zeros):
            out.seek(len(chunk), os.SEEK_CUR)
        else:
            out.write(chunk)
    if sparse:
        out.truncate(out.tell())


def dump_process(
    pid: int,
    proc: Path = Path("/proc"),
    budget: DumpBudget | None = None,
    log: LogFn | None = None,
) -> tuple[DumpPlan, DumpResult, Iterator[bytes]]:
    """Plan the dump of `pid` (reads maps now) and return the core's byte stream.

    Raises OSError when maps cannot be read (no such process, no permission).
    """
    with open_proc(proc, f"{pid}/maps") as handle:
        maps_text = handle.read()
    plan = plan_dump(pid, maps_text, budget)
    result = DumpResult(pid, partial=bool(plan.capped), cap=", ".join(plan.capped) or None)
    return plan, result, stream_core(plan, proc_file(proc, f"{pid}/mem"), result, log)
