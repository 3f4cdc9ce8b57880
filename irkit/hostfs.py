"""Read the host's files through a root prefix, as if chrooted there.

A symlink in a mounted disk image such as /etc/localtime -> /usr/share/zoneinfo/UTC
must resolve inside the image, not on the analyst's machine, so absolute link
targets are re-anchored at the root and `..` never climbs above it.
"""

import errno
import io
import os
import stat
from functools import lru_cache
from pathlib import Path, PurePosixPath

MAX_LINKS = 40


class NotRegularFile(OSError):
    pass


def _resolve_parts(root: Path, parts: list[str], follow_last: bool) -> list[str]:
    resolved: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = root.joinpath(*resolved, part)
        if (parts or follow_last) and candidate.is_symlink():
            hops += 1
            if hops > MAX_LINKS:
                raise OSError(errno.ELOOP, "too many symbolic links", str(candidate))
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = list(PurePosixPath(target).parts) + parts
            if target.startswith("/"):
                parts = parts[1:]
            continue
        resolved.append(part)
    return resolved


@lru_cache(maxsize=8192)
def _resolved_dir(root: Path, host_dir: str) -> tuple[str, ...]:
    """Directories are resolved once per run: collectors read hundreds of files in a few."""
    return tuple(_resolve_parts(root, list(PurePosixPath(host_dir).parts[1:]), True))


def resolve_in_root(
    root: Path, host_path: str | PurePosixPath, *, follow_last: bool = True
) -> Path:
    path = PurePosixPath("/", host_path)
    if path.name in ("", ".", ".."):
        return root.joinpath(*_resolve_parts(root, list(path.parts[1:]), follow_last))
    base = _resolved_dir(root, str(path.parent))
    candidate = root.joinpath(*base, path.name)
    if follow_last and candidate.is_symlink():
        return root.joinpath(*_resolve_parts(root, [*base, path.name], True))
    return candidate


def open_regular(path: Path) -> io.FileIO:
    """Open read-only without blocking on a FIFO and refuse anything but a regular file.

    O_NOATIME keeps the access time the host had (only the owner or root may ask for it).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY
    try:
        fd = os.open(path, flags | os.O_NOATIME)
    except PermissionError:
        fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def root_relative(root: Path, host_path: str) -> Path:
    return root.joinpath(*PurePosixPath("/", host_path).parts[1:])
