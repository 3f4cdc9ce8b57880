"""Reading one procfs for many processes, and remembering what it could not read.

On a host with thousands of processes an unprivileged run is denied the same
field for most of them; one log line per field (with the pids) says that, where
one line per pid and field would bury the log.
"""

import errno
import os
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from irkit.collectors.base import Context
from irkit.confined import open_in_root, read_capped, read_link_in_root, resolve_in_root
from irkit.lossless import fs_text

GONE = (errno.ENOENT, errno.ESRCH)
READ_SIZE = 1 << 16


class ProcFS:
    """Raw os calls on the live procfs: on a host with thousands of processes, io.open's
    extra fstat/ioctl per file is a measurable share of the snapshot. A procfs copy in a
    directory goes through the resolver instead (links inside it, regular files only).
    Every read stops at `limits.proc_read_bytes`: /dev/zero as an environ ends there."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.root = ctx.live_proc
        self.live = ctx.proc_is_live
        self.cap = ctx.limits.proc_read_bytes
        self.denied: dict[str, list[int]] = defaultdict(list)
        self.failed: dict[str, list[str]] = defaultdict(list)
        self.capped: dict[str, list[int]] = defaultdict(list)
        self.prefix = str(self.root).rstrip("/")
        self._process: tuple[int | str, int] | None = None
        """(pid, O_PATH descriptor of /proc/PID) while inside `process()`."""

    def path(self, pid: int | str, *parts: str) -> str:
        return "/".join((self.prefix, str(pid), *parts))

    @contextmanager
    def process(self, pid: int | str) -> Iterator[None]:
        """Read one process's files relative to its /proc/PID directory, opened once.

        Two reasons: every file and link of one record then comes from the same process (a
        pid reused while it is read answers ESRCH through the old directory, never the new
        process's fields), and the kernel resolves `ns/net`, not `/proc/PID/ns/net`, for each
        of the ~20 reads and links of a process: a tenth of the snapshot's system time with
        2,000 processes. A procfs copy is read through the resolver as before; a process that
        is gone reads as gone."""
        if not self.live:
            yield
            return
        try:
            fd = os.open(self.path(pid), os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            yield  # gone or hidden from this listing: each read fails and is counted alone
            return
        self._process = (pid, fd)
        try:
            yield
        finally:
            self._process = None
            os.close(fd)

    def _at(self, pid: int | str, rel: str) -> tuple[str, int | None]:
        """The path to give an *at call: relative to the open process directory if it is
        `pid`'s, else the whole path."""
        if self._process is not None and self._process[0] == pid:
            return rel, self._process[1]
        return f"{self.prefix}/{pid}/{rel}" if rel else self.path(pid), None

    def pids(self) -> list[int]:
        """Numeric entries of the procfs listing (what `ps` sees, rootkits included)."""
        try:
            return sorted(int(name) for name in os.listdir(self.root) if name.isdigit())
        except OSError as exc:
            self.ctx.log_error("list-processes", exc, path=str(self.root))
            return []

    def _failed(self, parts: tuple[str, ...], pid: int | str, exc: OSError) -> None:
        what = parts[0] if parts else ""
        if exc.errno in (errno.EACCES, errno.EPERM):
            denied = self.denied[what]
            if not denied or denied[-1] != int(pid):
                denied.append(int(pid))
        elif exc.errno not in GONE:
            self.failed[what].append(f"{pid}: {type(exc).__name__}: {exc.strerror}")

    def _read(self, rel: str, pid: int | str | None = None) -> tuple[bytes, bool]:
        """`rel` below the procfs root, or below /proc/PID when `pid` is given."""
        if not self.live:
            whole = "/".join(part for part in ("" if pid is None else str(pid), rel) if part)
            with open_in_root(self.root, whole, excluded=self.ctx.excluded) as handle:
                return read_capped(handle.fileno(), self.cap, READ_SIZE)
        name, directory = (f"{self.prefix}/{rel}", None) if pid is None else self._at(pid, rel)
        fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC, dir_fd=directory)
        try:
            want = min(self.cap, READ_SIZE)
            first = os.read(fd, want)
            if len(first) < want:
                return first, False
            rest, more = read_capped(fd, self.cap - len(first), READ_SIZE)
            return first + rest, more
        finally:
            os.close(fd)

    def read(self, pid: int | str, *parts: str) -> bytes | None:
        """A per-process file (stat, status, cmdline, environ, cgroup, comm) or /proc/stat.

        The kernel answers these whole in one read when the buffer holds them (they are one
        seq_file record, or a loop up to the count asked), so on the live procfs a short
        first read is the end: no second read() for EOF, one syscall of about six per file
        per process. Multi-record tables (/proc/net/tcp) answer a page per read and are read
        elsewhere, to EOF."""
        try:
            data, more = self._read("/".join(parts), pid)
        except OSError as exc:
            self._failed(parts, pid, exc)
            return None
        if more:
            self.capped[parts[0] if parts else ""].append(int(pid))
        return data

    def readlink(self, pid: int | str, *parts: str) -> str | None:
        try:
            if self.live:
                name, directory = self._at(pid, "/".join(parts))
                return fs_text(os.readlink(name, dir_fd=directory))
            return fs_text(read_link_in_root(self.root, "/".join((str(pid), *parts))))
        except OSError as exc:
            self._failed(parts, pid, exc)
            return None

    def listdir(self, pid: int | str, *parts: str) -> list[str]:
        try:
            if self.live:
                return os.listdir(self.path(pid, *parts))
            return os.listdir(resolve_in_root(self.root, "/".join((str(pid), *parts))))
        except OSError as exc:
            self._failed(parts, pid, exc)
            return []

    def sys_value(self, *parts: str) -> int | None:
        """A number from /proc/sys/... (or another top-level procfs file)."""
        try:
            return int(self._read("/".join(parts))[0].split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def log_unreadable(self) -> None:
        for what, pids in sorted(self.denied.items()):
            self.ctx.log(
                "read-proc",
                "partial",
                f"PermissionError: /proc/PID/{what} denied for {len(pids)} process(es)",
                field=what,
                pids=pids,
            )
        for what, errors in sorted(self.failed.items()):
            self.ctx.log(
                "read-proc", "error", f"{len(errors)} read(s) failed", field=what, errors=errors
            )
        for what, pids in sorted(self.capped.items()):
            self.ctx.log(
                "read-proc",
                "partial",
                f"/proc/PID/{what} cut at proc_read_bytes={self.cap} for {len(pids)} process(es)",
                field=what,
                cap="proc_read_bytes",
                pids=pids,
            )
