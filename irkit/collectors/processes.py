"""Every process, read from /proc directly, with the flags a miner tends to raise.

psutil is not used: its process list is the procfs listing, which is what a
rootkit hides from, and it decodes fields its own way; reading /proc here keeps
argv bytes lossless and works the same on a fixture procfs.
"""

import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

from irkit.collectors.base import Collector, Context
from irkit.collectors.procfs import ProcessDir, ProcFS
from irkit.collectors.users import host_accounts, user_names
from irkit.evidence.records import Record
from irkit.footprint import throttle
from irkit.knowledge.kernel_threads import PF_KTHREAD, looks_like_kernel_thread
from irkit.lossless import decode_host
from irkit.parsers.cgroup import cgroup_path, container_of
from irkit.parsers.lines import decimal
from irkit.timeutil import utc_iso

DELETED_SUFFIX = " (deleted)"
WRITABLE_DIRS = ("/tmp/", "/var/tmp/", "/dev/shm/", "/run/shm/", "/dev/mqueue/")
DEFAULT_CPU_INTERVAL = 0.5
DEFAULT_PROBE_SECONDS = 3.0
CHUNK = 1 << 20
NAMESPACES = (
    "cgroup",
    "ipc",
    "mnt",
    "net",
    "pid",
    "pid_for_children",
    "time",
    "time_for_children",
    "user",
    "uts",
)
"""Named, not listed: listing /proc/PID/ns costs more than reading all ten links."""
NAMESPACE_LINKS = tuple((ns, f"ns/{ns}") for ns in NAMESPACES)
KNOWN_CGROUPS = 4096
KNOWN_CGROUP_BYTES = 4096
"""Distinct /proc/PID/cgroup contents remembered with what they say: at most 4,096 of at
most 4 KiB each (a real one is a line, or a dozen under cgroup v1; a procfs copy may make
every one distinct and each up to `proc_read_bytes`)."""


@dataclass
class ProcessRecord(Record):
    kind: ClassVar[str] = "process"
    pid: int
    ppid: int | None = None
    name: str | None = None
    exe: str | None = None
    cmdline: list[str] = field(default_factory=list)
    cwd: str | None = None
    uid: int | None = None
    gid: int | None = None
    user: str | None = None
    start_time: str | None = None
    state: str | None = None
    threads: int | None = None
    rss: int | None = None
    vms: int | None = None
    cpu_percent: float | None = None
    cgroup: str | None = None
    container_id: str | None = None
    container_runtime: str | None = None
    pod_uid: str | None = None
    namespaces: dict[str, int] = field(default_factory=dict)
    ld_preload: str | None = None
    exe_sha256: str | None = None
    exe_deleted: bool = False
    flags: list[str] = field(default_factory=list)
    exe_member: str | None = None


@dataclass
class ProcStat:
    """The fields of /proc/PID/stat that matter here (proc(5) numbering in comments)."""

    name: str
    state: str
    ppid: int
    task_flags: int  # (9)
    cpu_ticks: int  # utime (14) + stime (15)
    threads: int  # (20)
    start_ticks: int  # (22)
    vsize: int  # (23)
    rss_pages: int  # (24)


def split_stat(data: bytes) -> tuple[bytes, list[bytes]]:
    """(the name, the fields after it) of /proc/PID/stat: the name may hold spaces and
    parentheses, so it ends at the last ')'."""
    open_, close = data.find(b"("), data.rfind(b")")
    if open_ < 0 or close < open_:
        raise ValueError("no '(name)' field")
    return data[open_ + 1 : close], data[close + 2 :].split()


def stat_number(rest: list[bytes], index: int) -> int:
    """A bounded field after the name: a kernel counter fits 64 bits; int() raises at 5,000
    digits."""
    value = decimal(rest[index])
    if value is None:
        raise ValueError(f"field {index + 3} not a number")
    return value


def parse_stat(data: bytes) -> ProcStat:
    """The fields of /proc/PID/stat a record needs; ValueError or IndexError for a stat that
    is not one (a procfs copy's may say anything)."""
    name, rest = split_stat(data)
    return ProcStat(
        name=decode_host(name),
        state=decode_host(rest[0]),
        ppid=stat_number(rest, 1),
        task_flags=stat_number(rest, 6),
        cpu_ticks=stat_number(rest, 11) + stat_number(rest, 12),
        threads=stat_number(rest, 17),
        start_ticks=stat_number(rest, 19),
        vsize=stat_number(rest, 20),
        rss_pages=stat_number(rest, 21),
    )


def cpu_sample(data: bytes) -> tuple[int, int]:
    """(utime + stime, start time) in ticks: all the CPU sample's second read needs, three
    numbers of the nine `parse_stat` makes (`ProcStat.cpu_ticks`, `start_ticks`)."""
    rest = split_stat(data)[1]
    return stat_number(rest, 11) + stat_number(rest, 12), stat_number(rest, 19)


def stat_record(
    pid: int, st: ProcStat, page_size: int, boot: float | None, clock_ticks: int
) -> ProcessRecord:
    """A process's record with the fields /proc/PID/stat gives (the start time needs the
    boot time of /proc/stat; without it there is none)."""
    record = ProcessRecord(
        pid=pid,
        ppid=st.ppid,
        name=st.name,
        state=st.state,
        threads=st.threads,
        rss=st.rss_pages * page_size,
        vms=st.vsize,
    )
    if boot is not None:
        record.start_time = utc_iso(boot + st.start_ticks / clock_ticks)
    return record


def status_ids(data: bytes) -> tuple[int | None, int | None, int | None]:
    """Real uid, real gid and tgid from /proc/PID/status (found, not split: it is long)."""
    return _status_number(data, b"Uid"), _status_number(data, b"Gid"), _status_number(data, b"Tgid")


def _status_number(data: bytes, key: bytes) -> int | None:
    fields = (item_value(data, key + b":", b"\n") or b"").split()
    return decimal(fields[0]) if fields else None


def item_value(data: bytes, key: bytes, end: bytes) -> bytes | None:
    """What follows `key` in the first item of `data` that starts with it (items end with
    `end`: lines of status, NUL-ended variables of environ), found rather than split: a
    process's environ is kilobytes of variables, one of which is wanted."""
    if data.startswith(key):
        start = len(key)
    else:
        found = data.find(end + key)
        if found < 0:
            return None
        start = found + len(end) + len(key)
    stop = data.find(end, start)
    return data[start : stop if stop >= 0 else len(data)]


def split_nul(data: bytes) -> list[str]:
    return [decode_host(part) for part in data.rstrip(b"\0").split(b"\0")] if data else []


def environ_value(data: bytes, name: str) -> str | None:
    value = item_value(data, name.encode() + b"=", b"\0")
    return None if value is None else decode_host(value)


ContainerFields = tuple[str | None, str | None, str | None, str | None]


def container_fields(data: bytes) -> ContainerFields:
    """(cgroup path, container id, runtime, pod uid) of a /proc/PID/cgroup. The processes of
    one service or container, and every kernel thread, have the same file, so each distinct
    small one is parsed (a line split and up to six regular expressions) once."""
    return (_known_container if len(data) <= KNOWN_CGROUP_BYTES else _container_fields)(data)


def _container_fields(data: bytes) -> ContainerFields:
    path = cgroup_path(decode_host(data))
    ref = container_of(path)
    return path, ref.container_id, ref.runtime, ref.pod_uid


_known_container = lru_cache(maxsize=KNOWN_CGROUPS)(_container_fields)


def in_hidden_dir(path: str) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in path.split("/")[:-1])


class ExeHasher:
    """Hashes each executable once, keyed by the file's identity, not its name:
    two thousand processes of one binary cost one read."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.known: dict[tuple[int, int, int, int], tuple[str | None, str | None]] = {}
        self.errors: list[str] = []

    def identify(self, proc: ProcessDir, deleted: bool) -> tuple[str | None, str | None]:
        """(sha256, bundle member of the recovered binary, for a deleted one)."""
        st = proc.stat("exe")
        if st is None:
            return None, None
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if key not in self.known:
            pid = int(proc.pid)
            self.known[key] = self._recover(pid) if deleted else (self._hash(pid), None)
        return self.known[key]

    def _recover(self, pid: int) -> tuple[str | None, str | None]:
        """The recovered copy's record holds the whole original's hash (or none), never the
        hash of a copy cut at the executable_bytes cap."""
        copied = self.ctx.copy_proc_file(pid, "exe", cap="executable_bytes", keep=0)
        if copied is None:
            return None, None
        record = copied.record
        self.ctx.log(
            "recover-deleted-exe",
            "partial" if record.partial else "ok",
            record.partial_reason,
            pid=pid,
            member=record.member,
            sha256=record.sha256,
        )
        return record.sha256, record.member

    def _hash(self, pid: int) -> str | None:
        """The whole file's hash, or None past the hash_bytes cap: never a prefix's."""
        sha = hashlib.sha256()
        left = self.ctx.limits.hash_bytes
        try:
            with self.ctx.open_proc(f"{pid}/exe") as handle:
                while left >= 0 and (chunk := handle.read(min(CHUNK, left + 1))):
                    sha.update(chunk)
                    throttle()  # --max-cpu
                    left -= len(chunk)
        except OSError as exc:
            self.errors.append(f"{pid}: {type(exc).__name__}: {exc.strerror}")
            return None
        if left < 0:
            self.errors.append(f"{pid}: not hashed: larger than the hash_bytes cap")
            return None
        return sha.hexdigest()


@dataclass
class HiddenProbe:
    hidden: list[int]
    probed: int
    complete: bool


def probe_order(last: int, upto: int) -> Iterator[int]:
    """Newest pids first: down from the last one allocated, then the range above it
    (older pids, from before the counter wrapped around)."""
    yield from range(min(last, upto), 0, -1)
    yield from range(upto, last, -1)


def probe_hidden_pids(
    procfs: ProcFS,
    listed: set[int],
    order: Iterable[int],
    *,
    budget: float | None = None,
    relist: Callable[[], list[int]] | None = None,
) -> HiddenProbe:
    """Pids that answer at /proc/N but were not in the listing (a readdir-hooking rootkit).

    Thread ids answer too without being listed, so a hit counts only when its Tgid
    is itself; a process born during the probe is dropped by listing again afterwards.
    One access() per number (~3 us): with a time budget, the newest pids go first.
    """
    hits: list[int] = []
    probed = 0
    deadline = None if budget is None else time.monotonic() + budget
    complete = True
    directory = os.open(procfs.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for pid in order:
            probed += 1
            if deadline is not None and probed % 4096 == 0 and time.monotonic() > deadline:
                complete = False
                break
            if pid in listed or not os.access(str(pid), os.F_OK, dir_fd=directory):
                continue
            status = procfs.read(pid, "status")
            if status is not None and status_ids(status)[2] == pid:
                hits.append(pid)
    finally:
        os.close(directory)
    if hits:
        relisted = set((relist or procfs.pids)())
        hits = [pid for pid in hits if pid not in relisted]
    return HiddenProbe(sorted(hits), probed, complete)


class ProcessesCollector(Collector):
    name = "processes"
    volatility = 20
    description = "every process: identity, exe hash, cgroup/container, namespaces, CPU, flags"
    option_types: ClassVar[dict[str, type]] = {
        "cpu_interval": float,
        "probe_hidden": bool,
        "probe_max": int,
        "probe_seconds": float,
    }

    def collect(self, ctx: Context) -> None:
        procfs = ProcFS(ctx)
        listed = procfs.pids()
        hidden = self._hidden(ctx, procfs, listed)
        started = time.monotonic()
        first = self._first_stats(ctx, procfs, sorted(set(listed) | set(hidden)))
        clock_ticks = os.sysconf("SC_CLK_TCK")
        page_size = os.sysconf("SC_PAGE_SIZE")
        boot = self._boot_time(procfs)
        users = user_names(host_accounts(ctx))
        hasher = ExeHasher(ctx)
        writable_cache: dict[tuple[int | None, str], bool] = {}
        records: dict[int, ProcessRecord] = {}
        for pid, st in first.items():
            record = stat_record(pid, st, page_size, boot, clock_ticks)
            with procfs.process(pid) as proc:
                self._identity(proc, record, users)
                self._exe(ctx, proc, record, st, hasher, writable_cache)
                self._container(proc, record)
            if pid in hidden:
                record.flags.append("hidden-pid")
            records[pid] = record
        self._sample_cpu(ctx, procfs, first, records, started, clock_ticks)
        for record in records.values():
            ctx.emit(record)
        procfs.log_unreadable()
        self._log_summary(ctx, listed, hidden, len(records), hasher)

    def _first_stats(self, ctx: Context, procfs: ProcFS, pids: list[int]) -> dict[int, ProcStat]:
        """/proc/PID/stat of every process, first: the start of the CPU sample's interval,
        and the processes still there to make records of."""
        first: dict[int, ProcStat] = {}
        for pid in pids:
            parsed = self._stat(ctx, procfs, pid)
            if parsed is not None:
                first[pid] = parsed
        return first

    @staticmethod
    def _log_summary(
        ctx: Context, listed: list[int], hidden: list[int], records: int, hasher: ExeHasher
    ) -> None:
        """The unhashed executables, then what was listed, probed and recorded."""
        if hasher.errors:
            ctx.log(
                "hash-exe", "error", f"{len(hasher.errors)} exe(s) unreadable", errors=hasher.errors
            )
        ctx.log(
            "processes",
            listed=len(listed),
            hidden=hidden,
            records=records,
            distinct_exes=len(hasher.known),
        )

    def _hidden(self, ctx: Context, procfs: ProcFS, listed: list[int]) -> list[int]:
        if not ctx.option("probe_hidden", True) or not listed:
            return []
        pid_max = procfs.sys_value("sys", "kernel", "pid_max") or max(listed)
        cap = int(ctx.option("probe_max", 1 << 22))
        allocated = procfs.sys_value("sys", "kernel", "ns_last_pid")
        upto = min(pid_max, cap, max(max(listed), allocated or 0))
        last = min(allocated or upto, upto)
        budget = float(ctx.option("probe_seconds", DEFAULT_PROBE_SECONDS))
        probe = probe_hidden_pids(procfs, set(listed), probe_order(last, upto), budget=budget)
        ctx.log(
            "probe-hidden-pids",
            "ok" if probe.complete else "partial",
            None if probe.complete else f"time budget of {budget} s reached",
            probed_up_to=upto,
            last_pid=last,
            pid_max=pid_max,
            probed=probe.probed,
            hidden=probe.hidden,
        )
        return probe.hidden

    def _stat(self, ctx: Context, procfs: ProcFS, pid: int) -> ProcStat | None:
        data = procfs.read(pid, "stat")
        if data is None:
            return None
        try:
            return parse_stat(data)
        except (ValueError, IndexError) as exc:
            ctx.log("parse", "error", f"unreadable stat: {exc}", path=f"/proc/{pid}/stat")
            return None

    @staticmethod
    def _boot_time(procfs: ProcFS) -> float | None:
        """The boot time of /proc/stat, which every start time needs (logged when missing)."""
        data = procfs.top_file("stat")
        for line in (data or b"").splitlines():
            if line.startswith(b"btime "):
                seconds = decimal(line[6:].strip().decode("ascii", "replace"), 2**40)
                if seconds is not None:
                    return float(seconds)
        procfs.ctx.log(
            "read-proc", "partial", "no boot time in /proc/stat: no start times", field="stat"
        )
        return None

    @staticmethod
    def _identity(proc: ProcessDir, record: ProcessRecord, users: dict[int, str]) -> None:
        status = proc.read("status")
        if status is not None:
            record.uid, record.gid, _ = status_ids(status)
            if record.uid is not None:
                record.user = users.get(record.uid)
        cmdline = proc.read("cmdline")
        record.cmdline = split_nul(cmdline or b"")
        record.cwd = proc.readlink("cwd")
        environ = proc.read("environ")
        if environ:
            record.ld_preload = environ_value(environ, "LD_PRELOAD")
        record.namespaces = proc.link_inodes(NAMESPACE_LINKS)

    def _exe(
        self,
        ctx: Context,
        proc: ProcessDir,
        record: ProcessRecord,
        st: ProcStat,
        hasher: ExeHasher,
        writable_cache: dict[tuple[int | None, str], bool],
    ) -> None:
        kernel_thread = bool(st.task_flags & PF_KTHREAD)
        exe = None if kernel_thread else proc.readlink("exe")
        if exe is not None:
            record.exe_deleted = exe.endswith(DELETED_SUFFIX)
            exe = exe.removesuffix(DELETED_SUFFIX)
            record.exe = exe
            record.exe_sha256, record.exe_member = hasher.identify(proc, record.exe_deleted)
        if record.exe_deleted:
            record.flags.append("exe-deleted")
        if exe and (
            exe.startswith(WRITABLE_DIRS) or self._world_writable(ctx, record, exe, writable_cache)
        ):
            record.flags.append("exe-in-writable-dir")
        if exe and in_hidden_dir(exe):
            record.flags.append("exe-in-hidden-dir")
        argv0 = record.cmdline[0] if record.cmdline else ""
        if not kernel_thread and (
            looks_like_kernel_thread(st.name) or looks_like_kernel_thread(argv0)
        ):
            record.flags.append("kernel-thread-imitation")

    @staticmethod
    def _world_writable(
        ctx: Context, record: ProcessRecord, exe: str, cache: dict[tuple[int | None, str], bool]
    ) -> bool:
        """Is the exe's directory world-writable, seen from the process's own mount namespace
        (/proc/PID/root: a container's /opt is not the host's), else through the root?"""
        directory = exe.rsplit("/", 1)[0] or "/"
        key = (record.namespaces.get("mnt"), directory)
        if key not in cache:
            cache[key] = False
            for inside in (str(record.pid), None):
                try:
                    real = (
                        ctx.proc_path(inside, "root", directory.lstrip("/"))
                        if inside is not None
                        else ctx.host_path(directory)
                    )
                    cache[key] = bool(os.stat(real).st_mode & stat.S_IWOTH)
                    break
                except OSError:
                    continue
        return cache[key]

    @staticmethod
    def _container(proc: ProcessDir, record: ProcessRecord) -> None:
        data = proc.read("cgroup")
        if data is not None:
            record.cgroup, record.container_id, record.container_runtime, record.pod_uid = (
                container_fields(data)
            )

    @staticmethod
    def _sample_cpu(
        ctx: Context,
        procfs: ProcFS,
        first: dict[int, ProcStat],
        records: dict[int, ProcessRecord],
        started: float,
        clock_ticks: int,
    ) -> None:
        """CPU over one interval for all processes at once: one sleep, not one per process."""
        interval = float(ctx.option("cpu_interval", DEFAULT_CPU_INTERVAL))
        remaining = interval - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        elapsed = time.monotonic() - started
        for pid, before in first.items():
            data = procfs.read(pid, "stat")
            if data is None or elapsed <= 0:
                continue
            try:
                cpu_ticks, start_ticks = cpu_sample(data)
            except (ValueError, IndexError):
                continue
            if start_ticks != before.start_ticks:
                continue
            used = (cpu_ticks - before.cpu_ticks) / clock_ticks
            records[pid].cpu_percent = round(100 * used / elapsed, 1)
