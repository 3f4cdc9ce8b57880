"""The collector contract and the context every collector reads and writes through.

A collector reads the host only through `ctx.root` and `ctx.proc`, so the same
code runs on a live host, a mounted image and a fixture tree, and it writes
only through the evidence writer. One failed artifact is a log line, never a crash.
"""

import errno
import io
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from irkit.confined import (
    NotRegularFile,
    OwnOutput,
    forget_dirs,
    is_procfs,
    open_in_dir,
    open_in_root,
    open_proc,
    read_link_in_root,
    resolve_in_root,
)
from irkit.evidence.records import FileRecord, Record
from irkit.evidence.writer import EvidenceWriter, host_file_member
from irkit.limits import Limits
from irkit.lossless import fs_text

KEEP_FOR_PARSING = 8 << 20


@dataclass
class CopiedFile:
    record: FileRecord
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "surrogateescape")


class NoLiveState(Exception):
    """Live state (processes, sockets, kernel) was asked for where there is none: `--root`
    other than / without `--proc`. Mixing the analyst's /proc with another host's files
    would put two hosts in one bundle."""


NO_PROC = "skipped: no --proc with --root"


@dataclass
class Context:
    writer: EvidenceWriter
    root: Path = Path("/")
    proc: Path | None = Path("/proc")
    """None: no live state is collected (`--root` other than / without `--proc`)."""
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    """Size caps for every read of the host (the playbook's `limits:`)."""
    output_dir: Path | None = None
    """The directory the bundle is written to (None: -o -), for the room a memory image needs."""
    collector: str = "irkit"
    records: list[Record] = field(default_factory=list)
    collected: dict[str, list[Record]] = field(default_factory=dict)
    """Every collector's records once it has finished, for the hunts and analysis after it."""
    proc_is_live: bool = field(init=False)
    """The kernel's procfs (magic links opened through), not a directory copy of one
    (every link resolved inside it, like the root)."""

    def __post_init__(self) -> None:
        forget_dirs()
        self.proc_is_live = self.proc is not None and is_procfs(self.proc)

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(self.collector, {}).get(name, default)

    @property
    def excluded(self) -> set[tuple[int, int]]:
        """Inodes never read: irkit's own output."""
        return self.writer.excluded_inodes

    @property
    def live_proc(self) -> Path:
        """The procfs to read live state from; NoLiveState where there is none."""
        if self.proc is None:
            raise NoLiveState(NO_PROC)
        return self.proc

    def host_path(self, host_path: str) -> Path:
        """The real path of a host path, resolved inside the root."""
        return resolve_in_root(self.root, host_path)

    def proc_path(self, *parts: str | int) -> Path:
        """The real path of a procfs path; in a procfs copy, resolved inside it."""
        if self.proc_is_live:
            return self.live_proc.joinpath(*map(str, parts))
        return resolve_in_root(self.live_proc, "/".join(map(str, parts)))

    def log(self, step: str, outcome: str = "ok", error: str | None = None, **detail: Any) -> None:
        self.writer.log.add(step, self.collector, outcome, error, **detail)

    def log_error(self, step: str, exc: BaseException, **detail: Any) -> None:
        """One failed read; a file that is not regular is named with its type, and irkit's
        own output and a missing file are skips, not errors."""
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        kind = getattr(exc, "file_type", None)
        if kind is not None:
            detail["file_type"] = kind
        skip = isinstance(exc, FileNotFoundError | OwnOutput | NotRegularFile)
        self.log(step, "skipped" if skip else "error", f"{type(exc).__name__}: {reason}", **detail)

    def emit(self, record: Record) -> None:
        self.records.append(record)

    def copy_host_file(
        self, host_path: str, *, cap: str = "copy_bytes", keep: int = KEEP_FOR_PARSING
    ) -> CopiedFile | None:
        """Copy a file of the host (through the root) into `files/<path>`, cut at the size cap
        named `cap` (a field of `Limits`)."""
        return self._copy(
            lambda: open_in_root(self.root, host_path, excluded=self.excluded),
            fs_text(host_path),
            cap=cap,
            keep=keep,
        )

    def copy_file_in_dir(
        self, dir_fd: int, name: str, host_path: str, *, keep: int = KEEP_FOR_PARSING
    ) -> CopiedFile | None:
        """`copy_host_file` of `host_path`, the file `name` of a directory already opened with
        `confined.open_dir_in_root`: no path resolution per file."""
        return self._copy(
            lambda: open_in_dir(dir_fd, name, host_path, excluded=self.excluded),
            fs_text(host_path),
            cap="copy_bytes",
            keep=keep,
        )

    def copy_proc_file(
        self, *parts: str | int, cap: str = "copy_bytes", keep: int = KEEP_FOR_PARSING
    ) -> CopiedFile | None:
        """Copy a procfs file into `files/proc/...`, whatever the proc prefix is. On the
        live procfs /proc/PID/exe is opened through (deleted-exe recovery). NoLiveState
        without a procfs: the collector stops with one "skipped" line."""
        if self.proc is None:
            raise NoLiveState(NO_PROC)
        rel = "/".join(map(str, parts))
        return self._copy(lambda: self.open_proc(rel), "/proc/" + rel, cap=cap, keep=keep)

    def open_proc(self, rel: str) -> io.FileIO:
        """Open a regular procfs file (`rel` below the proc root)."""
        return open_proc(self.live_proc, rel, excluded=self.excluded)

    def _copy(
        self, opener: Callable[[], io.FileIO], origin: str, *, cap: str, keep: int
    ) -> CopiedFile | None:
        """Copy what `opener` opens, cut at the size cap named `cap` (a field of `Limits`)."""
        known = self.writer.copied_file(origin)
        try:
            with opener() as handle:
                if known is not None:
                    return CopiedFile(known, handle.read(keep) if keep else b"")
                record, data = self.writer.copy_open_file(
                    handle,
                    origin,
                    host_file_member(origin),
                    collector=self.collector,
                    limit=getattr(self.limits, cap),
                    cap=cap,
                    hash_limit=self.limits.hash_bytes,
                    keep=keep,
                )
        except OSError as exc:
            self.log_error("copy", exc, path=origin)
            return None
        return CopiedFile(record, data)

    def read_host_link(self, host_path: str) -> str | None:
        """The text of a host symlink; the directories on the way resolved inside the root."""
        try:
            return fs_text(read_link_in_root(self.root, host_path))
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.EINVAL):
                self.log_error("readlink", exc, path=host_path)
            return None


class Collector(ABC):
    name: ClassVar[str]
    volatility: ClassVar[int]
    """Lower runs first: RFC 3227 order, most volatile evidence first."""
    description: ClassVar[str]
    option_types: ClassVar[dict[str, type]] = {}
    """Options a playbook may set for this collector, with their types (read via ctx.option)."""

    @abstractmethod
    def collect(self, ctx: Context) -> None: ...
