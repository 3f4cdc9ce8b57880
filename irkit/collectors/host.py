"""Who and what the host is: identity, kernel, OS, clock, sizing, and who is logged in."""

import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from irkit.collectors.base import NO_PROC, Collector, Context, CopiedFile
from irkit.evidence.records import Record
from irkit.parsers.utmp import UtmpEntry, UtmpProblem, parse_utmp
from irkit.timeutil import utc_iso

UTMP_PATHS = ("/run/utmp", "/var/run/utmp")
MAX_LOGGED_PROBLEMS = 20


@dataclass
class HostRecord(Record):
    kind: ClassVar[str] = "host"
    hostname: str | None = None
    kernel_release: str | None = None
    kernel_version: str | None = None
    os_release: dict[str, str] = field(default_factory=dict)
    machine_id: str | None = None
    boot_id: str | None = None
    boot_time: str | None = None
    uptime_seconds: float | None = None
    timezone: str | None = None
    cpu_count: int | None = None
    cpu_model: str | None = None
    memory_total_bytes: int | None = None


@dataclass
class SessionRecord(Record):
    """A utmp entry: a session open at collection time (or a boot/run-level mark)."""

    kind: ClassVar[str] = "session"
    source: str
    entry_type: str
    user: str
    line: str
    host: str
    address: str | None
    pid: int
    time: str


def parse_os_release(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            parts = shlex.split(raw)
        except ValueError:
            parts = [raw]
        values[key.strip()] = parts[0] if parts else ""
    return values


def parse_meminfo_total(text: str) -> int | None:
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            fields = line.split()
            if len(fields) >= 2 and fields[1].isdigit():
                return int(fields[1]) * 1024
    return None


def parse_cpuinfo(text: str) -> tuple[int, str | None]:
    count, model = 0, None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "processor":
            count += 1
        elif key in ("model name", "Model", "cpu model") and model is None:
            model = value.strip()
    return count, model


def parse_boot_time(stat_text: str) -> float | None:
    for line in stat_text.splitlines():
        if line.startswith("btime "):
            value = line.split()[1]
            return float(value) if value.isdigit() else None
    return None


def _first_line(copied: CopiedFile | None) -> str | None:
    if copied is None:
        return None
    text = copied.text.strip()
    return text.splitlines()[0] if text else None


class HostCollector(Collector):
    name = "host"
    volatility = 90
    description = "hostname, kernel, OS release, boot time, uptime, time zone, CPU/memory, sessions"

    def collect(self, ctx: Context) -> None:
        """Identity (hostname, machine-id, OS, time zone) from the root's files; kernel,
        boot and sizing only from a procfs of that host: with `--root` and no `--proc`
        they stay empty rather than describe the analyst's machine."""
        host = HostRecord()
        host.hostname = self._hostname(ctx)
        host.machine_id = _first_line(ctx.copy_host_file("/etc/machine-id"))
        os_release = ctx.copy_host_file("/etc/os-release") or ctx.copy_host_file(
            "/usr/lib/os-release"
        )
        if os_release is not None:
            host.os_release = parse_os_release(os_release.text)
        host.timezone = self._timezone(ctx)
        if ctx.proc is None:
            ctx.log("live-state", "skipped", NO_PROC)
        else:
            self._kernel(ctx, host)
        ctx.emit(host)
        ctx.writer.host.update(
            hostname=host.hostname,
            machine_id=host.machine_id,
            boot_id=host.boot_id,
            kernel_release=host.kernel_release,
        )
        self._sessions(ctx)

    @staticmethod
    def _hostname(ctx: Context) -> str | None:
        """The running kernel's name on a live host; a mounted image's own /etc/hostname
        first (a given --proc may be of another boot)."""
        etc = _first_line(ctx.copy_host_file("/etc/hostname"))
        if ctx.proc is None or (etc and ctx.root.resolve() != Path("/")):
            return etc
        return _first_line(ctx.copy_proc_file("sys", "kernel", "hostname")) or etc

    @staticmethod
    def _kernel(ctx: Context, host: HostRecord) -> None:
        host.kernel_release = _first_line(ctx.copy_proc_file("sys", "kernel", "osrelease"))
        host.kernel_version = _first_line(ctx.copy_proc_file("version"))
        host.boot_id = _first_line(ctx.copy_proc_file("sys", "kernel", "random", "boot_id"))
        stat = ctx.copy_proc_file("stat")
        if stat is not None and (btime := parse_boot_time(stat.text)) is not None:
            host.boot_time = utc_iso(btime)
        uptime = _first_line(ctx.copy_proc_file("uptime"))
        if uptime:
            try:
                host.uptime_seconds = float(uptime.split()[0])
            except ValueError as exc:
                ctx.log_error("parse", exc, path="/proc/uptime")
        cpuinfo = ctx.copy_proc_file("cpuinfo")
        if cpuinfo is not None:
            host.cpu_count, host.cpu_model = parse_cpuinfo(cpuinfo.text)
        meminfo = ctx.copy_proc_file("meminfo")
        if meminfo is not None:
            host.memory_total_bytes = parse_meminfo_total(meminfo.text)

    def _timezone(self, ctx: Context) -> str | None:
        named = _first_line(ctx.copy_host_file("/etc/timezone"))
        if named:
            return named
        target = ctx.read_host_link("/etc/localtime")
        if target and "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
        return "UTC" if ctx.copy_host_file("/etc/localtime", keep=0) is None else None

    def _sessions(self, ctx: Context) -> None:
        for path in UTMP_PATHS:
            copied = ctx.copy_host_file(path)
            if copied is None:
                continue
            for entry in utmp_entries(ctx, path, copied.data):
                ctx.emit(SessionRecord(**session_fields(path, entry)))
            return


def utmp_entries(ctx: Context, path: str, data: bytes) -> Iterator[UtmpEntry]:
    """The entries of a utmp/wtmp/btmp file; its problems are logged (a few, then a count)."""
    problems = 0
    for item in parse_utmp(data):
        if isinstance(item, UtmpProblem):
            problems += 1
            if problems <= MAX_LOGGED_PROBLEMS:
                ctx.log("parse", "warning", item.problem, path=path, offset=item.offset)
        else:
            yield item
    if problems > MAX_LOGGED_PROBLEMS:
        ctx.log("parse", "warning", f"{problems} problems in all", path=path)


def session_fields(path: str, entry: UtmpEntry) -> dict[str, Any]:
    return {
        "source": path,
        "entry_type": entry.type,
        "user": entry.user,
        "line": entry.line,
        "host": entry.host,
        "address": entry.address,
        "pid": entry.pid,
        "time": entry.time,
    }
