"""Where the single-file irkit unpacked itself, for the collection log.

The single file (packaging/irkit.spec, PyInstaller) unpacks its Python and libraries into
/dev/shm before irkit starts and removes them at exit. A responder must be able to show that
running it wrote nothing to the host's disks, so the log names that directory and whether
the kernel says it is memory-backed (tmpfs or ramfs), rather than trusting the build option.
"""

import atexit
import ctypes
import os
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from irkit.confined import filesystem_type

TMPFS_MAGIC = 0x01021994
RAMFS_MAGIC = 0x858458F6
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Unpacked:
    """The unpack directory of a single-file run and what holds it."""

    directory: Path
    memory_backed: bool

    def message(self) -> str:
        where = (
            "memory-backed storage"
            if self.memory_backed
            else "a filesystem that is NOT memory-backed"
        )
        return f"single-file irkit unpacked into {self.directory} ({where}); removed at exit"


def unpacked() -> Unpacked | None:
    """The unpack directory when this is the single file, None for an installed irkit."""
    directory = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or directory is None:
        return None
    return Unpacked(Path(directory), memory_backed(Path(directory)))


def memory_backed(path: Path) -> bool:
    """Whether the kernel keeps `path`'s filesystem in RAM (tmpfs, ramfs): what is written
    there touches no disk, and takes memory from the host."""
    return filesystem_type(path) in (TMPFS_MAGIC, RAMFS_MAGIC)


def stop_with_the_bootloader() -> None:
    """Make a SIGKILL of the single file stop the collection, and leave nothing in /dev/shm.

    Python runs as the child of PyInstaller's bootloader, which removes the unpack directory
    once the child exits. A SIGKILL of the bootloader (the pid a responder sees and kills)
    ends the bootloader alone: the child would go on collecting unseen, and the directory
    would stay in the host's RAM until reboot. So the child asks the kernel for a SIGTERM when
    its parent dies (prctl PR_SET_PDEATHSIG): collect and triage then stop as on any SIGTERM
    and seal the bundle as incomplete; at exit the child removes the unpack directory itself
    when no bootloader is left to do it. Nothing for an installed irkit.
    """
    directory = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or directory is None:
        return
    bootloader = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    atexit.register(_remove_if_orphaned, Path(directory), bootloader)


def _remove_if_orphaned(directory: Path, bootloader: int) -> None:
    if os.getppid() != bootloader:
        shutil.rmtree(directory, ignore_errors=True)
