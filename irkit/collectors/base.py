"""The collector contract and the context every collector reads and writes through.

A collector reads the host only through `ctx.root` and `ctx.proc`, so the same
code runs on a live host, a mounted image and a fixture tree, and it writes
only through the evidence writer. One failed artifact is a log line, never a crash.
"""

import errno
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from irkit.evidence.records import FileRecord, Record
from irkit.evidence.writer import EvidenceWriter, host_file_member
from irkit.hostfs import open_regular, resolve_in_root, root_relative
from irkit.hosttext import fs_text
from irkit.limits import Limits

KEEP_FOR_PARSING = 8 << 20


@dataclass
class CopiedFile:
    record: FileRecord
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "surrogateescape")


@dataclass
class Context:
    writer: EvidenceWriter
    root: Path = Path("/")
    proc: Path = Path("/proc")
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    """Size caps for every read of the host (the playbook's `limits:`)."""
    collector: str = "irkit"
    records: list[Record] = field(default_factory=list)
    collected: dict[str, list[Record]] = field(default_factory=dict)
    """Every collector's records once it has finished, for the hunts and analysis after it."""

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(self.collector, {}).get(name, default)

    def host_path(self, host_path: str) -> Path:
        """The real path of a host path, resolved inside the root."""
        return resolve_in_root(self.root, host_path)

    def proc_path(self, *parts: str | int) -> Path:
        return self.proc.joinpath(*map(str, parts))

    def log(self, step: str, outcome: str = "ok", error: str | None = None, **detail: Any) -> None:
        self.writer.log.add(step, self.collector, outcome, error, **detail)

    def log_error(self, step: str, exc: BaseException, **detail: Any) -> None:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        outcome = "skipped" if isinstance(exc, FileNotFoundError) else "error"
        self.log(step, outcome, f"{type(exc).__name__}: {reason}", **detail)

    def emit(self, record: Record) -> None:
        self.records.append(record)

    def copy_host_file(
        self, host_path: str, *, cap: str = "copy_bytes", keep: int = KEEP_FOR_PARSING
    ) -> CopiedFile | None:
        """Copy a file of the host (through the root) into `files/<path>`, cut at the size cap
        named `cap` (a field of `Limits`)."""
        try:
            real = self.host_path(host_path)
        except OSError as exc:
            self.log_error("copy", exc, path=host_path)
            return None
        return self._copy(real, fs_text(host_path), cap=cap, keep=keep)

    def copy_proc_file(
        self, *parts: str | int, cap: str = "copy_bytes", keep: int = KEEP_FOR_PARSING
    ) -> CopiedFile | None:
        """Copy a procfs file into `files/proc/...`, whatever the proc prefix is."""
        rel = "/".join(map(str, parts))
        return self._copy(self.proc_path(*parts), "/proc/" + rel, cap=cap, keep=keep)

    def _copy(self, real: Path, origin: str, *, cap: str, keep: int) -> CopiedFile | None:
        known = self.writer.copied_file(origin)
        try:
            with open_regular(real) as handle:
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
        try:
            return fs_text(os.readlink(root_relative(self.root, host_path)))
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
