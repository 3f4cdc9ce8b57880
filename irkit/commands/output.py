"""Where a bundle goes: a new file (with its `.sha256` beside it) or standard output.

A file bundle is written as `OUT.partial` and renamed to OUT only once sealed and on disk
(fsync), so a file under the final name is always a sealed bundle: a SIGKILL, a full disk
or an I/O error leaves `OUT.partial`, named for what it is. `OUT.sha256` comes last. Every
file is created by `irkit.outfile` (exclusive, never through a link).
"""

import ctypes
import errno
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from irkit.evidence.sink import HashingSink, OutputLost, Reserve
from irkit.evidence.verify import sidecar_lines
from irkit.evidence.writer import Seal
from irkit.outfile import NotRegularOutput, create_output, open_output_file, refuse_unsafe_existing

PARTIAL_SUFFIX = ".partial"
AT_FDCWD = -100
_renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)


class OutputError(Exception):
    pass


@dataclass
class BundleOutput:
    target: str
    stream: BinaryIO
    """The raw, unbuffered output: OUT.partial, or standard output."""
    sink: HashingSink
    path: Path | None
    """The final name; None for standard output."""
    force: bool = False
    reserve: Reserve | None = None
    sidecar_error: str | None = None
    """Why `OUT.sha256` could not be written (the bundle itself is sealed and published)."""
    encrypted_to: list[str] = field(default_factory=list)
    """The age recipients the bundle is encrypted to (none: written in clear)."""

    @property
    def partial_path(self) -> Path | None:
        return None if self.path is None else partial_name(self.path)

    @property
    def directory(self) -> Path | None:
        """Where the bundle is written; None for standard output."""
        return None if self.path is None else self.path.parent

    def identities(self) -> set[tuple[int, int]]:
        """(st_dev, st_ino) of what this output writes: the host readers must never collect it."""
        st = os.fstat(self.stream.fileno())
        found = {(st.st_dev, st.st_ino)}
        held = self.reserve.identity() if self.reserve is not None else None
        return found | ({held} if held else set())

    def close(self, seal: Seal) -> Path | None:
        """Publish the sealed bundle under its final name, then write `OUT.sha256`.

        Return the sidecar's path (None for stdout, or when it could not be written: then
        `sidecar_error` says why). OutputLost when the bundle cannot be published.
        """
        if self.path is None or self.partial_path is None:
            return None
        partial = self.partial_path
        try:
            os.fsync(self.stream.fileno())
            self.stream.close()
            publish(partial, self.path, force=self.force)
            fsync_directory(self.path.parent)
        except OSError as exc:
            raise OutputLost(str(partial), exc, f"the sealed bundle stays in {partial}") from exc
        sidecar = self.path.with_name(self.path.name + ".sha256")
        try:
            with open_output_file(sidecar, "w", force=self.force, encoding="utf-8") as handle:
                handle.write(
                    sidecar_lines(seal.bundle_sha256, self.path.name, seal.manifest_sha256)
                )
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            self.sidecar_error = f"cannot write {sidecar}: {exc.strerror or exc}"
            return None
        return sidecar


def partial_name(path: Path) -> Path:
    return path.with_name(path.name + PARTIAL_SUFFIX)


def publish(partial: Path, final: Path, *, force: bool) -> None:
    """Give the sealed bundle its final name, atomically; without --overwrite never replace
    anything.

    rename(2) would silently replace a file that appeared during the collection, so the
    no-replace case uses renameat2(RENAME_NOREPLACE); where the filesystem lacks it (FAT,
    some shares), a rename after a last check has to do.
    """
    if force:
        os.rename(partial, final)  # replaces a file or a planted link itself, never its target
        return
    try:
        rename_noreplace(partial, final)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise
        if os.path.lexists(final):
            raise FileExistsError(
                errno.EEXIST, "appeared during the collection", str(final)
            ) from exc
        os.rename(partial, final)


def rename_noreplace(source: Path, target: Path) -> None:
    """renameat2(..., RENAME_NOREPLACE): FileExistsError if `target` exists, whatever it is."""
    if _renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    if _renameat2(AT_FDCWD, os.fsencode(source), AT_FDCWD, os.fsencode(target), 1) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(target))


def fsync_directory(directory: Path) -> None:
    """Make the rename durable: a crash right after must not bring back only OUT.partial."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):  # some filesystems cannot
            raise
    finally:
        os.close(fd)


def open_output(target: str, *, force: bool) -> BundleOutput:
    if target == "-":
        if sys.stdout.isatty():
            raise OutputError("refusing to write a zip to a terminal; redirect it: -o - > case.zip")
        sys.stdout.flush()
        raw = open(sys.stdout.fileno(), "wb", buffering=0, closefd=False)  # noqa: SIM115
        return BundleOutput(target, raw, HashingSink(raw, where="standard output"), None)
    path = Path(target)
    partial = partial_name(path)
    try:
        if stat.S_ISDIR(_lstat_mode(path)):
            raise OutputError(f"{path} is a directory; give a file name such as {path}/case.zip")
        if not path.parent.is_dir():
            raise OutputError(f"{path.parent} does not exist")
        refuse_unsafe_existing(path, force=force)
        refuse_unsafe_existing(path.with_name(path.name + ".sha256"), force=force)
        fd = create_output(partial, force=force)
    except NotRegularOutput as exc:
        raise OutputError(f"{exc.filename} {exc.strerror}") from exc
    except FileExistsError as exc:
        hint = " (left by an interrupted run?)" if exc.filename == str(partial) else ""
        raise OutputError(f"{exc.filename} exists{hint}; pass --overwrite to replace it") from exc
    except OSError as exc:
        raise OutputError(f"cannot write {exc.filename or path}: {exc.strerror}") from exc
    raw = open(fd, "wb", buffering=0)  # noqa: SIM115
    reserve = Reserve.beside(path.parent)
    lost = f"the bundle is not sealed; what was written stays in {partial}"
    sink = HashingSink(raw, where=str(partial), lost=lost, reserve=reserve)
    return BundleOutput(target, raw, sink, path, force, reserve)


def _lstat_mode(path: Path) -> int:
    try:
        return os.lstat(path).st_mode
    except FileNotFoundError:
        return 0


def same_filesystem(output: BundleOutput, root: Path) -> bool:
    """True when the bundle is written onto the disk being collected (it may overwrite evidence)."""
    if output.path is None:
        return False
    try:
        return os.stat(output.path.parent).st_dev == os.stat(root).st_dev
    except OSError:
        return False
