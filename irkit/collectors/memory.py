"""The memory step: symbol material always, process cores for chosen pids, a full image on request.

Options (playbook `memory:` block): `pids` (list of ints), `max_region` (bytes taken from
each region of a process core), `image` (bool), `acquirer` (path of an avml the responder
brought), `max_image` (bytes). Each core is cut at the `dump_bytes` limit and all cores of a
run at `dumps_total_bytes` (the playbook's `limits:`).
"""

import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import psutil

from irkit.collectors.base import Collector, Context
from irkit.collectors.host import parse_meminfo_total
from irkit.collectors.symbols import collect_symbol_material
from irkit.confined import open_proc, read_capped
from irkit.evidence.records import Record
from irkit.frozen import memory_backed
from irkit.memory.acquire import (
    AcquisitionError,
    find_acquirer,
    plan_from_proc,
    run_acquirer,
    stream_lime,
)
from irkit.memory.dump import DumpBudget, MapsError, dump_process

IMAGE_MEMBER = "memory/image.lime"
CORE_PREFIX = "memory/pid-"


@dataclass
class ProcessDump(Record):
    kind: ClassVar[str] = "memory-dump"
    pid: int
    member: str | None
    regions: int
    bytes_read: int
    partial: bool
    skipped: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    cap: str | None = None
    """The size cap(s) that cut the dump (`dump_bytes`, `dumps_total_bytes`, `max_region`)."""


@dataclass
class MemoryImage(Record):
    kind: ClassVar[str] = "memory-image"
    member: str | None
    method: str
    format: str
    size: int
    sha256: str | None
    partial: bool
    attempts: list[str] = field(default_factory=list)


def dump_into_bundle(ctx: Context, pid: int) -> ProcessDump:
    """Stream one process's core into memory/pid-N.core; used by this collector for the pids
    a playbook names and by the triage for the processes it flags."""
    budget = _budget(ctx)
    try:
        plan, result, chunks = dump_process(pid, ctx.live_proc, budget, log=ctx.log)
    except (OSError, MapsError) as exc:
        ctx.log_error("dump-process", exc, pid=pid)
        return ProcessDump(pid, None, 0, 0, True, unreadable=[str(exc)])
    entry = ctx.writer.write_stream(
        f"{CORE_PREFIX}{pid}.core",
        chunks,
        collector=ctx.collector,
        origin=f"/proc/{pid}/mem",
        large=plan.total >= 1 << 31,
    )
    if result.cap is not None:
        ctx.log("dump-process", "partial", f"cut at the {result.cap} cap", pid=pid, cap=result.cap)
    if result.unreadable:
        ctx.log("dump-process", "partial", "process exited or regions unreadable", pid=pid)
    return ProcessDump(
        pid,
        entry.name,
        result.regions,
        result.bytes_read,
        result.partial or entry.partial,
        result.skipped,
        result.unreadable,
        result.cap,
    )


def _budget(ctx: Context) -> DumpBudget:
    """This core's share: `dump_bytes`, what `dumps_total_bytes` leaves after the cores
    already in the bundle, or seven eighths of the output's free space (the rest is for the
    remainder of the bundle and its seal), whichever is least: a smaller core rather than a
    full disk."""
    limits = ctx.limits
    spent = sum(m.size for m in ctx.writer.members if m.name.startswith(CORE_PREFIX))
    caps = [
        (limits.dump_bytes, "dump_bytes"),
        (max(limits.dumps_total_bytes - spent, 0), "dumps_total_bytes"),
    ]
    free = output_free(ctx)
    if free is not None:
        caps.append((free - free // 8, OUTPUT_SPACE))
    size, name = min(caps, key=lambda cap: cap[0])
    return DumpBudget(ctx.option("max_region"), size, name)


OUTPUT_SPACE = "output free space"
"""The cap named when the output's disk, not a playbook limit, cut a dump."""

HOST_MEMORY_RESERVE = 256 << 20
"""RAM left to the host, at least, when the output is memory-backed (and a tenth of its RAM)."""


def output_free(ctx: Context) -> int | None:
    """Free bytes where the bundle is written; None for -o - (the receiver's disk).

    On a memory-backed output (tmpfs, ramfs: /dev/shm, often /tmp) those bytes are the host's
    RAM, and a tmpfs may be sized past it: then no more than what the host has available
    (psutil), less a reserve, so that an image or a core never wakes the OOM killer on the
    host it documents.
    """
    return None if ctx.output_dir is None else free_bytes(ctx.output_dir)


def free_bytes(directory: Path) -> int:
    """Free bytes in `directory`; on a memory-backed one, no more than the host's available
    RAM less a reserve (see `output_free`)."""
    free = shutil.disk_usage(directory).free
    if memory_backed(directory):
        ram = psutil.virtual_memory()
        reserve = max(HOST_MEMORY_RESERVE, ram.total // 10)
        free = min(free, max(ram.available - reserve, 0))
    return free


def dump_room(directory: Path, cap: int, cap_name: str) -> DumpBudget:
    """A core's total budget where only a directory is known (`irkit memory dump -o`): the
    cap, or seven eighths of the directory's free space when that is less, so a dump that
    cannot fit is cut (and says so) rather than filling the disk or the host's RAM."""
    free = free_bytes(directory)
    room = free - free // 8
    return DumpBudget(None, room, OUTPUT_SPACE) if room < cap else DumpBudget(None, cap, cap_name)


def _where(ctx: Context) -> str:
    """The output directory, named for the responder, saying when its space is RAM."""
    if ctx.output_dir is not None and memory_backed(ctx.output_dir):
        return f"{ctx.output_dir} (memory-backed: the host's available RAM, less a reserve)"
    return str(ctx.output_dir)


class MemoryCollector(Collector):
    name = "memory"
    volatility = 30
    description = "kernel symbol material (BTF, kallsyms), process cores, optional full image"
    option_types: ClassVar[dict[str, type]] = {
        "pids": list,
        "image": bool,
        "acquirer": str,
        "max_region": int,
        "max_image": int,
    }

    def collect(self, ctx: Context) -> None:
        ctx.emit(collect_symbol_material(ctx))
        for pid in ctx.option("pids", []) or []:
            ctx.emit(dump_into_bundle(ctx, int(pid)))
        if ctx.option("image", False):
            ctx.emit(self._image(ctx))

    def _image(self, ctx: Context) -> MemoryImage:
        refusal = image_refusal(ctx)
        if refusal is not None:
            ctx.log("image", "warning", refusal, output=str(ctx.output_dir))
            return MemoryImage(None, "none", "", 0, None, True, [refusal])
        attempts: list[str] = []
        explicit = ctx.option("acquirer")
        tool = find_acquirer(Path(explicit) if explicit else None)
        limit = ctx.option("max_image")
        if tool is not None:
            try:
                stream = run_acquirer(tool)
                first = next(stream, b"")
                return self._write(
                    ctx, "acquirer:" + tool.name, itertools.chain([first], stream), limit, attempts
                )
            except (AcquisitionError, OSError) as exc:
                attempts.append(f"acquirer {tool}: {exc}")
                ctx.log("image-acquirer", "error", str(exc), tool=str(tool))
        else:
            attempts.append("no acquirer: avml not on PATH and no acquirer option")
        try:
            plan, kcore = plan_from_proc(ctx.live_proc)
        except AcquisitionError as exc:
            attempts.append(f"kcore: {exc}")
            ctx.log("image-kcore", "error", str(exc))
            ctx.log("image", "skipped", "no memory image: " + "; ".join(attempts))
            return MemoryImage(None, "none", "", 0, None, True, attempts)

        def on_error(message: str) -> None:
            ctx.log("image-kcore-read", "warning", message)

        return self._write(ctx, "kcore", stream_lime(plan, kcore, on_error), limit, attempts)

    def _write(
        self,
        ctx: Context,
        method: str,
        chunks: Iterator[bytes],
        limit: int | None,
        attempts: list[str],
    ) -> MemoryImage:
        try:
            entry = ctx.writer.write_stream(
                IMAGE_MEMBER,
                chunks,
                collector=ctx.collector,
                origin=method,
                limit=limit,
                compress=False,
                large=True,
            )
        except AcquisitionError as exc:
            attempts.append(f"{method}: {exc}")
            ctx.log("image", "error", str(exc), method=method)
            return MemoryImage(IMAGE_MEMBER, method, "lime", 0, None, True, attempts)
        ctx.log("image", "ok", None, method=method, size=entry.size, sha256=entry.sha256)
        return MemoryImage(
            entry.name, method, "lime", entry.size, entry.sha256, entry.partial, attempts
        )


def image_refusal(ctx: Context) -> str | None:
    """Why no image may be taken: the output's disk cannot hold one. None when it can.

    An image is up to the imaged machine's RAM (MemTotal of the procfs read), or `max_image`
    when that is smaller; starting one that cannot fit would fill the responder's disk and
    leave a cut image, so irkit says so instead. With -o - the receiving end's disk is not
    irkit's to know; without a readable MemTotal there is nothing to compare.
    """
    if ctx.proc is None:
        return None
    try:
        with open_proc(ctx.proc, "meminfo") as meminfo:
            text, _ = read_capped(meminfo.fileno(), ctx.limits.proc_read_bytes)
    except OSError:
        return None
    need = parse_meminfo_total(text.decode("ascii", "replace"))
    if need is None:
        return None
    limit = ctx.option("max_image")
    if limit:
        need = min(need, int(limit))
    free = output_free(ctx)
    if free is None or free >= need:
        return None
    return (
        f"no memory image: it needs up to {need // 2**20} MiB (MemTotal, or max_image)"
        f" and {_where(ctx)} has {free // 2**20} MiB free; write the bundle to a larger disk"
        " or stream it with -o -, or set max_image"
    )
