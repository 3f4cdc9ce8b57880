"""Fixture hosts for the confinement tests: a Context on a real bundle, planted files."""

import os
import stat
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from irkit.collectors.base import Context
from irkit.evidence.writer import EvidenceWriter
from irkit.interrupts import InterruptGuard
from irkit.limits import Limits

MADE_UP_MAJOR = 511
"""A character device major no driver claims: opening it fails with ENXIO, so a read
that reaches the driver's open says so in its error, and one refused before open does not."""


@contextmanager
def host_context(
    out: Path, *, root: Path = Path("/"), proc: Path | None = None, limits: Limits | None = None
) -> Iterator[Context]:
    """A Context writing a real bundle at `out`, sealed when the block ends."""
    guard = InterruptGuard()
    with out.open("wb") as sink:
        writer = EvidenceWriter(sink, command_line=["test"], guard=guard)
        ctx = Context(writer=writer, root=root, proc=proc, limits=limits or Limits())
        ctx.collector = "test"
        yield ctx
        writer.close(complete=True)


def log_of(ctx: Context) -> list[dict[str, Any]]:
    return [
        {"step": e.step, "outcome": e.outcome, "error": e.error, **e.detail}
        for e in ctx.writer.log.entries
    ]


def bundle_bytes(bundle: Path) -> bytes:
    """Every member's bytes, for "this marker never reached the bundle"."""
    with zipfile.ZipFile(bundle) as zf:
        return b"".join(zf.read(name) for name in zf.namelist())


def mknod_char(path: Path, major: int, minor: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mknod(path, stat.S_IFCHR | 0o644, os.makedev(major, minor))
    return path


def sparse(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


@contextmanager
def endless_fifo(path: Path) -> Iterator[Path]:
    """A FIFO a thread keeps writing zeros into for as long as someone reads it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    stop = threading.Event()

    def feed() -> None:
        while not stop.is_set():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # no reader yet (ENXIO): irkit never opened it
                stop.wait(0.01)
                continue
            try:
                while not stop.is_set():
                    os.write(fd, bytes(1 << 16))
            except OSError:
                pass
            finally:
                os.close(fd)

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        stop.set()
        thread.join()
