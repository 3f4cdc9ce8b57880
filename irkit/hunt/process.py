"""Scan the memory of a live process by reading /proc/PID/maps and /proc/PID/mem.

Why not libyara's own `rules.match(pid=N)` (measured with yara-python 4.5.4 on a 200 MiB
process: it did not ptrace-stop the process, but took 1.2-1.8x our time): it reads every
mapping, GPU/DMA device mappings and multi-GiB RandomX datasets included, with no budget
and no word on which region failed. Reading /proc/PID/mem ourselves needs the same
privilege (root or same uid), packs regions into few windows so the per-pass cost stays
low, and skips device mappings (/dev/nvidia*, /dev/dri/*): reading them can hang or
disturb a GPU. The price: a condition sees one window at a time, not the whole process.
Process memory has no `filesize` and no file header: only ungated rules can match here
(YARA-LESSONS 1).
"""

import contextlib
import os
import pwd
from collections.abc import Iterator
from pathlib import Path

from irkit.confined import open_proc, proc_file, read_capped, read_proc_link
from irkit.hunt.libyara import Rules
from irkit.hunt.windows import DEFAULT_OVERLAP, DEFAULT_WINDOW, Extent, TargetResult, scan_extents
from irkit.limits import Limits
from irkit.lossless import fs_text
from irkit.parsers.procmaps import MapsRegion, parse_maps

DEFAULT_MAX_REGION = 256 << 20
DEFAULT_MAX_BYTES = 2 << 30
PSEUDO_REGIONS = ("[vvar]", "[vvar_vclock]", "[vsyscall]")
SCANNABLE_DEVICE_PATHS = ("/dev/shm/", "/dev/zero")
COMM_BYTES = 64


def skip_reason(region: MapsRegion, max_region: int) -> str | None:
    if not region.perms.startswith("r"):
        return "not readable"
    if region.path in PSEUDO_REGIONS:
        return "pseudo region"
    if region.path.startswith("/dev/") and not region.path.startswith(SCANNABLE_DEVICE_PATHS):
        return "device mapping"
    if region.size > max_region:
        return f"larger than {max_region} bytes"
    return None


def select_regions(
    regions: list[MapsRegion], *, max_region: int, max_bytes: int, notes: list[str]
) -> Iterator[Extent]:
    budget = max_bytes
    for region in regions:
        reason = skip_reason(region, max_region)
        if reason is None and region.size > budget:
            reason = f"over the per-process budget of {max_bytes} bytes"
        if reason is not None:
            if reason not in ("not readable", "pseudo region"):
                notes.append(f"skipped {region.start:#x}-{region.end:#x} {region.path}: {reason}")
            continue
        budget -= region.size
        yield Extent(region.start, region.size)


def process_externals(proc: Path, pid: int) -> dict[str, str]:
    """filename = the process name, filepath = its exe link, owner = its real uid's name."""
    values = {"filetype": "MEMORY"}
    with contextlib.suppress(OSError), open_proc(proc, f"{pid}/comm") as comm:
        values["filename"] = comm.read(COMM_BYTES).decode(errors="replace").strip()
    with contextlib.suppress(OSError):
        values["filepath"] = fs_text(read_proc_link(proc, f"{pid}/exe"))
    with contextlib.suppress(OSError):
        values["owner"] = _user_name(os.stat(proc_file(proc, str(pid))).st_uid)
    return values


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _regions(proc: Path, pid: int, max_maps: int, notes: list[str]) -> list[MapsRegion]:
    """The process's mapped regions from its maps file, read up to `max_maps` bytes; a cut
    file or a line that does not parse is a note."""
    with open_proc(proc, f"{pid}/maps") as maps:
        text, more = read_capped(maps.fileno(), max_maps)
    if more:
        notes.append(f"maps cut at proc_read_bytes={max_maps}")
    regions, problems = parse_maps(text, f"pid {pid} maps")
    notes += problems
    return regions


def scan_process_memory(
    rules: Rules,
    pid: int,
    *,
    proc: Path = Path("/proc"),
    max_region: int = DEFAULT_MAX_REGION,
    max_bytes: int = DEFAULT_MAX_BYTES,
    window: int = DEFAULT_WINDOW,
    overlap: int = DEFAULT_OVERLAP,
    timeout: float | None = None,
    max_maps: int = Limits.proc_read_bytes,
) -> TargetResult:
    """Scan one process; offsets in hits are virtual addresses. Never raises for a process
    that vanished or refused access: the reason is in `result.errors`. Under a procfs
    copy, maps and mem are regular files inside it (a FIFO or /dev/zero is refused)."""
    result = TargetResult(f"pid:{pid}", "process")
    externals = process_externals(proc, pid)
    try:
        regions = _regions(proc, pid, max_maps, result.notes)
        mem = open_proc(proc, f"{pid}/mem")
    except OSError as exc:
        result.errors.append(f"pid {pid}: {exc.strerror or exc}")
        return result
    fd = mem.fileno()
    try:
        extents = list(
            select_regions(regions, max_region=max_region, max_bytes=max_bytes, notes=result.notes)
        )

        def read_at(address: int, count: int) -> bytes:
            return os.pread(fd, count, address)

        return scan_extents(
            rules,
            extents,
            read_at,
            result,
            pid=pid,
            path=externals.get("filepath"),
            externals=externals,
            window=window,
            overlap=overlap,
            timeout=timeout,
        )
    finally:
        mem.close()


def list_pids(proc: Path = Path("/proc")) -> list[int]:
    pids = []
    try:
        names = os.listdir(proc)
    except OSError:
        return []
    for name in names:
        if name.isdigit():
            pids.append(int(name))
    return sorted(pids)
