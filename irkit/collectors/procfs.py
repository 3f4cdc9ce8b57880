"""Reading one procfs for many processes, and remembering what it could not read.

On a host with thousands of processes an unprivileged run is denied the same
field for most of them; one log line per field (with the pids) says that, where
one line per pid and field would bury the log.
"""

import errno
import os
from collections import defaultdict
from pathlib import Path

from irkit.collectors.base import Context
from irkit.hosttext import fs_text

GONE = (errno.ENOENT, errno.ESRCH)
READ_SIZE = 1 << 16


class ProcFS:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.root = ctx.proc
        self.base = str(ctx.proc).rstrip("/")
        self.denied: dict[str, list[int]] = defaultdict(list)
        self.failed: dict[str, list[str]] = defaultdict(list)

    def path(self, pid: int | str, *parts: str) -> str:
        return "/".join((self.base, str(pid), *parts))

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

    def read(self, pid: int | str, *parts: str) -> bytes | None:
        """Raw os calls: on a host with thousands of processes, io.open's extra
        fstat/ioctl per file is a measurable share of the snapshot."""
        try:
            fd = os.open(self.path(pid, *parts), os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            self._failed(parts, pid, exc)
            return None
        chunks = []
        try:
            while chunk := os.read(fd, READ_SIZE):
                chunks.append(chunk)
        except OSError as exc:
            self._failed(parts, pid, exc)
            return None
        finally:
            os.close(fd)
        return b"".join(chunks)

    def readlink(self, pid: int | str, *parts: str) -> str | None:
        try:
            return fs_text(os.readlink(self.path(pid, *parts)))
        except OSError as exc:
            self._failed(parts, pid, exc)
            return None

    def listdir(self, pid: int | str, *parts: str) -> list[str]:
        try:
            return os.listdir(self.path(pid, *parts))
        except OSError as exc:
            self._failed(parts, pid, exc)
            return []

    def sys_value(self, *parts: str) -> int | None:
        """A number from /proc/sys/... (or another top-level procfs file)."""
        try:
            return int(Path(self.root, *parts).read_text().split()[0])
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
