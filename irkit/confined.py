"""Read the host's files through a root prefix, as if chrooted there: the one resolver.

A symlink in a mounted disk image such as /etc/localtime -> /usr/share/zoneinfo/UTC
must resolve inside the image, not on the analyst's machine, so absolute link
targets are re-anchored at the root and `..` never climbs above it. The host is
hostile: /home/x -> / must not lead a hunt into the analyst's own files, a chain of
`/a/../a/..` components must not cost quadratic time, and a device node or FIFO must
never be opened (a driver's open can block or have effects).

Resolution walks directory file descriptors (openat with O_PATH|O_NOFOLLOW per
component, readlinkat for links), so it is linear in the path length and a component
swapped for a symlink during the walk fails instead of escaping. Files are checked
(fstatat without following) before they are opened with O_NOFOLLOW|O_NONBLOCK, and the
opened file must be the one checked.

`--proc` is a root like any other unless it is the kernel's procfs (statfs f_type
PROC_SUPER_MAGIC): there /proc/PID/exe, cwd and root are magic links that must be
opened through (exe hashing and deleted-exe recovery rely on it), and nothing in a
procfs is planted by the host's users. A copy of a procfs in a directory is hostile
data: every link in it resolves inside that directory.
"""

import ctypes
import errno
import fnmatch
import glob
import io
import os
import stat
import struct
from collections import deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

MAX_LINKS = 40
PROC_SUPER_MAGIC = 0x9FA0
_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_TYPES = (
    (stat.S_ISDIR, "directory"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISLNK, "symlink"),
)

Inodes = Collection[tuple[int, int]]
"""(st_dev, st_ino) of files never read: irkit's own output."""


class NotRegularFile(OSError):
    """A host path that is not a regular file; `file_type` says what it is, for the log
    and for a collector that records the path as what it is."""

    def __init__(self, path: str, file_type: str, code: int = errno.EINVAL) -> None:
        super().__init__(code, f"not a regular file: {file_type}", path)
        self.file_type = file_type


class DanglingSymlink(FileNotFoundError):
    """A host path that is a symlink to nothing (inside the root)."""

    def __init__(self, path: str, target: str) -> None:
        super().__init__(errno.ENOENT, f"dangling symlink to {target}", path)
        self.file_type = "dangling symlink"


class OwnOutput(OSError):
    """The bundle being written: reading it would copy the bundle into itself."""

    def __init__(self, path: str) -> None:
        super().__init__(errno.EEXIST, "skipped: irkit's own output", path)


@dataclass
class Steps:
    """Path components the resolver has examined: tests hold resolution linear with it."""

    count: int = 0


STEPS = Steps()


def file_type(mode: int) -> str:
    return next((name for test, name in _TYPES if test(mode)), "regular file")


def _split(text: str) -> Iterable[str]:
    return (part for part in text.split("/") if part not in ("", "."))


def _walk(root: Path, parts: Iterable[str], follow_last: bool) -> tuple[list[str], bool]:
    """The link-free components of `parts` below `root` (every symlink followed inside it),
    and whether they all exist."""
    pending = deque(_split("/".join(parts)))
    resolved: list[str] = []
    fds = [os.open(root, _DIR_FLAGS & ~os.O_NOFOLLOW)]
    hops = 0
    try:
        while pending:
            part = pending.popleft()
            STEPS.count += 1
            if part == "..":
                if resolved:
                    resolved.pop()
                    os.close(fds.pop())
                continue
            last = not pending
            try:
                info = os.stat(part, dir_fd=fds[-1], follow_symlinks=False)
            except FileNotFoundError:
                # Nothing exists below a missing directory: the rest is kept without `..`,
                # so the path names nothing (ENOENT) and never leads out of the root.
                resolved += [part, *(p for p in pending if p != "..")]
                return resolved, False
            if stat.S_ISLNK(info.st_mode) and (follow_last or not last):
                hops += 1
                if hops > MAX_LINKS:
                    raise OSError(errno.ELOOP, "too many symbolic links", "/".join(resolved))
                target = os.readlink(part, dir_fd=fds[-1])
                if target.startswith("/"):
                    resolved.clear()
                    while len(fds) > 1:
                        os.close(fds.pop())
                pending.extendleft(reversed(list(_split(target))))
                continue
            resolved.append(part)
            if not last and not stat.S_ISDIR(info.st_mode):
                resolved += (p for p in pending if p != "..")
                return resolved, False  # a file used as a directory: ENOTDIR on use
            if not last:
                fds.append(os.open(part, _DIR_FLAGS, dir_fd=fds[-1]))
    finally:
        for fd in fds:
            os.close(fd)
    return resolved, True


_dirs: dict[tuple[Path, str], tuple[str, ...]] = {}
MAX_CACHED_DIRS = 8192


def forget_dirs() -> None:
    """Start a collection with no resolution remembered from an earlier one."""
    _dirs.clear()


def _resolved_dir(root: Path, host_dir: str) -> tuple[str, ...]:
    """Directories are resolved once per collection: collectors read hundreds of files in a
    few. Only existing ones are remembered; one replaced by a link since then fails the
    O_NOFOLLOW reopen of `open_in_root` instead of leading out."""
    key = (root, host_dir)
    found = _dirs.get(key)
    if found is None:
        parts, exists = _walk(root, [host_dir], True)
        found = tuple(parts)
        if exists:
            if len(_dirs) >= MAX_CACHED_DIRS:
                _dirs.clear()
            _dirs[key] = found
    return found


def _components(root: Path, host_path: str, follow_last: bool) -> list[str]:
    if "\0" in host_path:
        raise OSError(errno.EINVAL, "NUL byte in a host path", host_path.replace("\0", "\\0"))
    path = PurePosixPath("/", host_path)
    if path.name in ("", ".", ".."):
        return _walk(root, [str(path)], follow_last)[0]
    base = _resolved_dir(root, str(path.parent))
    try:
        mode = os.lstat(root.joinpath(*base, path.name)).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = 0
    if follow_last and stat.S_ISLNK(mode):
        return _walk(root, [*base, path.name], True)[0]
    return [*base, path.name]


def resolve_in_root(
    root: Path, host_path: str | PurePosixPath, *, follow_last: bool = True
) -> Path:
    """The real path of `host_path` under `root`, every link resolved inside the root.
    A path that does not exist stays one that does not exist (opening it says ENOENT)."""
    return root.joinpath(*_components(root, str(host_path), follow_last))


def glob_in_root(root: Path, pattern: str) -> list[Path]:
    """Host paths matching a shell-style pattern (`*`, `?`, `[...]` per component, hidden
    names only when asked for), each candidate resolved inside `root`: a matched
    /home/x -> / leads to the root's top, never to the analyst's. A pattern ending in
    `/` matches directories only."""
    found: list[tuple[str, ...]] = [()]
    for part in _split(pattern):
        step: list[tuple[str, ...]] = []
        for parts in found:
            names = [part]
            if glob.has_magic(part):
                try:
                    listed = os.listdir(root.joinpath(*parts))
                except OSError:
                    continue
                hidden = part.startswith(".")
                names = [n for n in fnmatch.filter(sorted(listed), part) if hidden or n[:1] != "."]
            for name in names:
                try:
                    step.append(tuple(_components(root, "/".join(("", *parts, name)), True)))
                except OSError:
                    continue
        found = list(dict.fromkeys(step))
    paths = [root.joinpath(*parts) for parts in found]
    want = os.path.isdir if pattern.endswith("/") else os.path.lexists
    return [path for path in paths if want(path)]


def _open_dir(root: Path, parts: Iterable[str]) -> int:
    """A descriptor of a directory resolved before, reopened without following anything:
    a component swapped for a link since then fails instead of escaping."""
    fd = os.open(root, _DIR_FLAGS & ~os.O_NOFOLLOW)
    try:
        for part in parts:
            inner = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_regular(info: os.stat_result, shown: str, excluded: Inodes = ()) -> None:
    """Refuse what is not a regular file, and irkit's own output, before any open."""
    if not stat.S_ISREG(info.st_mode):
        raise NotRegularFile(shown, file_type(info.st_mode))
    if (info.st_dev, info.st_ino) in excluded:
        raise OwnOutput(shown)


def _open_checked(
    name: str | Path, shown: str, *, dir_fd: int | None, follow: bool, excluded: Inodes
) -> io.FileIO:
    """Check, then open read-only without blocking, then make sure it is what was checked.

    O_NOATIME keeps the access time the host had (only the owner or root may ask for it).
    """
    before = os.stat(name, dir_fd=dir_fd, follow_symlinks=follow)
    check_regular(before, shown, excluded)
    flags = _READ_FLAGS | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(name, flags | os.O_NOATIME, dir_fd=dir_fd)
    except PermissionError:
        fd = os.open(name, flags, dir_fd=dir_fd)
    try:
        after = os.fstat(fd)
        if (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
            raise OSError(errno.ESTALE, "replaced between check and open", shown)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def open_regular(path: str | Path, *, follow: bool = False, excluded: Inodes = ()) -> io.FileIO:
    """Open a regular file by a path the caller trusts (already resolved, or named by the
    analyst). `follow` only for a magic link of the live procfs (/proc/PID/exe). A walk that
    has the path as text passes it as text: a Path per file was a sixth of a scan's per-file
    Python work."""
    return _open_checked(path, str(path), dir_fd=None, follow=follow, excluded=excluded)


def open_in_root(root: Path, host_path: str, *, excluded: Inodes = ()) -> io.FileIO:
    """Open a regular file of the host, resolved inside `root`, race-free."""
    parts = _components(root, host_path, True)
    if not parts:
        raise NotRegularFile(host_path, "directory")
    try:
        fd = _open_dir(root, parts[:-1])
        try:
            return _open_checked(parts[-1], host_path, dir_fd=fd, follow=False, excluded=excluded)
        finally:
            os.close(fd)
    except FileNotFoundError:
        _dangling(root, host_path)
        raise


def open_dir_in_root(root: Path, host_dir: str) -> int:
    """A readable descriptor of a host directory resolved inside `root`, to list it and open
    its files by name (`open_in_dir`): one resolution for the whole directory instead of one
    per file, which was most of the per-file cost of copying 10,000 crontabs. The caller
    closes it."""
    fd = _open_dir(root, _components(root, host_dir, True))
    try:
        return os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
    finally:
        os.close(fd)


def open_in_dir(dir_fd: int, name: str, shown: str, *, excluded: Inodes = ()) -> io.FileIO:
    """Open a regular file named in a directory from `open_dir_in_root`, never through a
    link; `shown` is its host path, for messages."""
    if "/" in name or "\0" in name or name in ("", ".", ".."):
        raise OSError(errno.EINVAL, "not a name in a directory", shown)
    return _open_checked(name, shown, dir_fd=dir_fd, follow=False, excluded=excluded)


def _dangling(root: Path, host_path: str) -> None:
    """A missing file reached through a link is a dangling link: say so."""
    try:
        target = read_link_in_root(root, host_path)
    except OSError:
        return
    raise DanglingSymlink(host_path, target)


def read_link_in_root(root: Path, host_path: str) -> str:
    """The text of a host symlink (never followed); its directory resolved inside `root`."""
    parts = _components(root, host_path, False)
    if not parts:
        raise OSError(errno.EINVAL, "not a symbolic link", host_path)
    fd = _open_dir(root, parts[:-1])
    try:
        return os.readlink(parts[-1], dir_fd=fd)
    finally:
        os.close(fd)


def read_capped(fd: int, cap: int, chunk: int = 1 << 16) -> tuple[bytes, bool]:
    """At most `cap` bytes (procfs files answer a page per read: loop), and whether there
    was more: an endless file (/dev/zero, a FIFO fed forever) ends at the cap."""
    chunks = []
    size = 0
    while size < cap and (data := os.read(fd, min(chunk, cap - size))):
        chunks.append(data)
        size += len(data)
    return b"".join(chunks), size >= cap and bool(os.read(fd, 1))


def filesystem_type(path: Path) -> int | None:
    """statfs f_type of the filesystem holding `path` (None when it cannot be read).

    Python's os has no statfs; the magic number is what tells a kernel filesystem
    (procfs, tmpfs) from a directory that imitates one.
    """
    buf = ctypes.create_string_buffer(256)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.statfs(os.fsencode(path), buf) != 0:
        return None
    return int(struct.unpack_from("l", buf.raw)[0])


@lru_cache(maxsize=64)
def is_procfs(path: Path) -> bool:
    """Is `path` the kernel's procfs (statfs f_type), not a directory that imitates one?"""
    return filesystem_type(path) == PROC_SUPER_MAGIC


def proc_file(proc: Path, rel: str) -> Path:
    """The real path of `rel` below a procfs: as is on the live one (magic links work),
    resolved inside a procfs copy."""
    return proc / rel if is_procfs(proc) else resolve_in_root(proc, rel)


def open_proc(proc: Path, rel: str, *, excluded: Inodes = ()) -> io.FileIO:
    """Open a regular file below a procfs: /proc/PID/exe is opened through on the live
    one; in a copy, every link resolves inside the copy."""
    if is_procfs(proc):
        return open_regular(proc / rel, follow=True, excluded=excluded)
    return open_in_root(proc, rel, excluded=excluded)


def read_proc_link(proc: Path, rel: str) -> str:
    """The text of a procfs link (never followed); in a copy, its directory inside it."""
    return os.readlink(proc / rel) if is_procfs(proc) else read_link_in_root(proc, rel)
