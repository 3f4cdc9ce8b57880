"""Reading one procfs for many processes, and remembering what it could not read.

On a host with thousands of processes an unprivileged run is denied the same
field for most of them; one log line per field (with the pids) says that, where
one line per pid and field would bury the log.
"""

import errno
import os
from collections import defaultdict
from functools import lru_cache
from types import TracebackType

from irkit.collectors.base import Context
from irkit.confined import open_in_root, read_capped, read_link_in_root, resolve_in_root
from irkit.lossless import fs_text
from irkit.parsers.proclinks import link_inode

GONE = (errno.ENOENT, errno.ESRCH)
READ_SIZE = 1 << 16
KNOWN_LINKS = 4096
"""Namespace link texts remembered with their inode (a host has a few dozen distinct ones;
a procfs copy may make every one distinct, so the memory is bounded)."""
_known_link_inode = lru_cache(maxsize=KNOWN_LINKS)(link_inode)
"""`link_inode` of each link text seen: thousands of processes share a few namespaces, so
ten parses per process become ten look-ups."""
_FILE_FLAGS = os.O_RDONLY | os.O_CLOEXEC
_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC


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
        self.first_read = min(self.cap, READ_SIZE)
        self.denied: dict[str, list[int]] = defaultdict(list)
        self.failed: dict[str, list[str]] = defaultdict(list)
        self.capped: dict[str, list[int]] = defaultdict(list)
        self.prefix = str(self.root).rstrip("/")

    def path(self, pid: int | str, *parts: str) -> str:
        return "/".join((self.prefix, str(pid), *parts))

    def process(self, pid: int | str) -> "ProcessDir":
        """One process's files, read relative to its /proc/PID directory opened once
        (`with procfs.process(pid) as proc: proc.read("status")`)."""
        return ProcessDir(self, pid)

    def pids(self) -> list[int]:
        """Numeric entries of the procfs listing (what `ps` sees, rootkits included)."""
        try:
            return sorted(int(name) for name in os.listdir(self.root) if name.isdigit())
        except OSError as exc:
            self.ctx.log_error("list-processes", exc, path=str(self.root))
            return []

    def failure(self, rel: str, pid: int | str, exc: OSError) -> None:
        """Count one unreadable field of `pid` (`rel` below /proc/PID) for the log: denied
        per field with the pids, other errors each; a process that is gone is neither."""
        what = rel.partition("/")[0]
        if exc.errno in (errno.EACCES, errno.EPERM):
            denied = self.denied[what]
            if not denied or denied[-1] != int(pid):
                denied.append(int(pid))
        elif exc.errno not in GONE:
            self.failed[what].append(f"{pid}: {type(exc).__name__}: {exc.strerror}")

    def read_fd(self, name: str, directory: int | None) -> tuple[bytes, bool]:
        """A live procfs file (relative to `directory`, or a whole path).

        The kernel answers the per-process files (stat, status, cmdline, environ, cgroup,
        comm) whole in one read when the buffer holds them (one seq_file record, or a loop up
        to the count asked), so a short first read is the end: no second read() for EOF.
        Multi-record tables (/proc/net/tcp) answer a page per read and are read elsewhere,
        to EOF."""
        fd = os.open(name, _FILE_FLAGS, dir_fd=directory)
        try:
            first = os.read(fd, self.first_read)
            if len(first) < self.first_read:
                return first, False
            rest, more = read_capped(fd, self.cap - len(first), READ_SIZE)
            return first + rest, more
        finally:
            os.close(fd)

    def read_copy(self, rel: str) -> tuple[bytes, bool]:
        """A file of a procfs copy, `rel` below its root, through the resolver."""
        with open_in_root(self.root, rel, excluded=self.ctx.excluded) as handle:
            return read_capped(handle.fileno(), self.cap, READ_SIZE)

    def kept(self, rel: str, pid: int | str, read: tuple[bytes, bool]) -> bytes:
        """The bytes of a read; one cut at the cap is counted for the log."""
        data, more = read
        if more:
            self.capped[rel.partition("/")[0]].append(int(pid))
        return data

    def read(self, pid: int | str, *parts: str) -> bytes | None:
        """A per-process file (stat, status, cmdline, environ, cgroup, comm) by its whole
        path; inside a record, `ProcessDir.read`."""
        rel = "/".join(parts)
        try:
            if self.live:
                return self.kept(rel, pid, self.read_fd(f"{self.prefix}/{pid}/{rel}", None))
            return self.kept(rel, pid, self.read_copy(f"{pid}/{rel}"))
        except OSError as exc:
            self.failure(rel, pid, exc)
            return None

    def readlink(self, pid: int | str, *parts: str) -> str | None:
        rel = "/".join(parts)
        try:
            if self.live:
                return os.readlink(f"{self.prefix}/{pid}/{rel}")
            return fs_text(read_link_in_root(self.root, f"{pid}/{rel}"))
        except OSError as exc:
            self.failure(rel, pid, exc)
            return None

    def listdir(self, pid: int | str, *parts: str) -> list[str]:
        try:
            if self.live:
                return os.listdir(self.path(pid, *parts))
            return os.listdir(resolve_in_root(self.root, "/".join((str(pid), *parts))))
        except OSError as exc:
            self.failure("/".join(parts), pid, exc)
            return []

    def top_file(self, rel: str) -> bytes | None:
        """A file outside the process directories (/proc/stat, /proc/sys/...), None if
        unreadable."""
        try:
            return (
                self.read_fd(f"{self.prefix}/{rel}", None) if self.live else self.read_copy(rel)
            )[0]
        except OSError:
            return None

    def sys_value(self, *parts: str) -> int | None:
        """A number from /proc/sys/... (or another top-level procfs file)."""
        try:
            return int((self.top_file("/".join(parts)) or b"").split()[0])
        except (ValueError, IndexError):
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


class ProcessDir:
    """One process's /proc/PID, opened once (O_PATH) for all the reads of its record.

    Two reasons: every file and link of one record then comes from the same process (a pid
    reused while it is read answers ESRCH through the old directory, never the new
    process's fields), and the kernel resolves `ns/net`, not `/proc/PID/ns/net`, for each of
    the ~20 reads and links of a process. A process gone before its directory is opened
    reads as gone, field by field. A procfs copy is read through the resolver."""

    __slots__ = ("error", "fd", "pid", "procfs")

    def __init__(self, procfs: ProcFS, pid: int | str) -> None:
        self.procfs = procfs
        self.pid = pid
        self.fd: int | None = None
        self.error: OSError | None = None

    def __enter__(self) -> "ProcessDir":
        if self.procfs.live:
            try:
                self.fd = os.open(self.procfs.path(self.pid), _DIR_FLAGS)
            except OSError as exc:
                self.error = exc
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _gone(self) -> OSError:
        """Why a live process's directory could not be opened (it is gone)."""
        return self.error or OSError(errno.EBADF, "process directory not open")

    def read(self, name: str) -> bytes | None:
        """A file of the record (the descriptor's case first: it is every read of a live
        snapshot, ~20 per process)."""
        procfs = self.procfs
        try:
            if self.fd is not None:
                read = procfs.read_fd(name, self.fd)
            elif procfs.live:
                raise self._gone()
            else:
                read = procfs.read_copy(f"{self.pid}/{name}")
        except OSError as exc:
            procfs.failure(name, self.pid, exc)
            return None
        return procfs.kept(name, self.pid, read)

    def readlink(self, name: str) -> str | None:
        try:
            if self.fd is not None:
                return os.readlink(name, dir_fd=self.fd)
            if self.procfs.live:
                raise self._gone()
            return fs_text(read_link_in_root(self.procfs.root, f"{self.pid}/{name}"))
        except OSError as exc:
            self.procfs.failure(name, self.pid, exc)
            return None

    def link_inodes(self, links: tuple[tuple[str, str], ...]) -> dict[str, int]:
        """{key: inode} of `type:[inode]` links given as (key, name) pairs (the namespace
        links), the unreadable and unparsable ones left out."""
        found: dict[str, int] = {}
        for key, name in links:
            link = self.readlink(name)
            inode = None if link is None else _known_link_inode(link)
            if inode is not None:
                found[key] = inode
        return found

    def stat(self, name: str) -> os.stat_result | None:
        """What a link such as `exe` leads to (the file's identity)."""
        try:
            if self.fd is not None:
                return os.stat(name, dir_fd=self.fd)
            if self.procfs.live:
                raise self._gone()
            return os.stat(resolve_in_root(self.procfs.root, f"{self.pid}/{name}"))
        except OSError as exc:
            self.procfs.failure(name, self.pid, exc)
            return None
