"""Create the files irkit writes on a host or beside a bundle, without ever following a link
planted at their name (the DuckDB archive and its Parquet export are written by DuckDB itself).

irkit runs as root on a host an attacker controls: a symlink at `case.zip.sha256` pointing at
/etc/shadow must not turn the sidecar into an overwrite of /etc/shadow. Every output is created
with O_CREAT|O_EXCL|O_NOFOLLOW; `--overwrite` replaces only a regular file (unlink, then create
exclusively again, so a link planted in between is refused, never followed).
"""

import errno
import os
import stat
from typing import IO, Any

CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class NotRegularOutput(OSError):
    """The name exists and is a link, a directory or a device: never replaced, even with
    --overwrite."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(
            errno.EEXIST,
            "exists and is not a regular file (a symlink, directory or device);"
            " refusing to replace it, even with --overwrite",
            os.fspath(path),
        )


def create_output(path: str | os.PathLike[str], *, force: bool, mode: int = 0o600) -> int:
    """Create `path` for writing and return its descriptor.

    FileExistsError when it exists and `force` is off; NotRegularOutput when it exists and is
    not a regular file. Any other OSError is the system's.
    """
    try:
        return os.open(path, CREATE_FLAGS, mode)
    except FileExistsError:
        if not force:
            raise
    if not stat.S_ISREG(os.lstat(path).st_mode):
        raise NotRegularOutput(path)
    os.unlink(path)
    try:
        return os.open(path, CREATE_FLAGS, mode)
    except FileExistsError as exc:
        raise NotRegularOutput(path) from exc


def open_output_file(
    path: str | os.PathLike[str], mode: str, *, force: bool, **options: Any
) -> IO[Any]:
    """`create_output` as a file object: `mode` is "wb" or "w" (with encoding and newline)."""
    fd = create_output(path, force=force)
    try:
        return os.fdopen(fd, mode, **options)
    except BaseException:
        os.close(fd)
        raise


def refuse_unsafe_existing(path: str | os.PathLike[str], *, force: bool) -> None:
    """Check up front what `create_output` would refuse, before any work is done."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularOutput(path)
    if not force:
        raise FileExistsError(
            errno.EEXIST, "exists; pass --overwrite to replace it", os.fspath(path)
        )
