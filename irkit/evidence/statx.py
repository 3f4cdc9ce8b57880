"""A file's birth time, which `os.stat` does not give on Linux: statx(2) through ctypes.

Python 3.11 has no `os.statx`; glibc (2.28+) exports `statx`, called here on an open file
descriptor (`AT_EMPTY_PATH`), so the birth time is that of the very file that was copied.
The answer is None whenever it is not known: no glibc `statx`, a kernel or filesystem that
does not report `STATX_BTIME` (tmpfs before Linux 5.x, many network filesystems), an error.
"""

import ctypes
import os
import struct
from collections.abc import Callable
from functools import cache

AT_EMPTY_PATH = 0x1000
STATX_BTIME = 0x800
STATX_SIZE = 256
"""sizeof(struct statx) in the kernel's ABI (include/uapi/linux/stat.h)."""
BTIME_OFFSET = 80
"""Offset of stx_btime: mask, blksize, attributes, nlink, uid, gid, mode+pad, ino, size,
blocks, attributes_mask (64 bytes), then stx_atime (16 bytes), then stx_btime."""
_TIMESTAMP = struct.Struct("=qI")
_MASK = struct.Struct("=I")


@cache
def _statx() -> Callable[..., int] | None:
    try:
        # dlopen(NULL): the libc this Python already runs on. Never ctypes.util.find_library,
        # which runs the host's ldconfig or gcc to look for it.
        libc = ctypes.CDLL(None, use_errno=True)
        function: Callable[..., int] = libc.statx
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [  # type: ignore[attr-defined]
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_void_p,
    ]
    function.restype = ctypes.c_int  # type: ignore[attr-defined]
    return function


def birth_time(fd: int) -> float | None:
    """Seconds since the epoch when the file open on `fd` was created, or None if unknown."""
    try:
        birth = getattr(os.fstat(fd), "st_birthtime", None)
    except OSError:
        return None
    if birth:
        return float(birth)
    statx = _statx()
    if statx is None:
        return None
    buffer = ctypes.create_string_buffer(STATX_SIZE)
    if statx(fd, b"", AT_EMPTY_PATH, STATX_BTIME, buffer) != 0:
        return None
    (mask,) = _MASK.unpack_from(buffer.raw, 0)
    if not mask & STATX_BTIME:
        return None
    seconds, nanoseconds = _TIMESTAMP.unpack_from(buffer.raw, BTIME_OFFSET)
    if seconds == 0 and nanoseconds == 0:
        return None
    return seconds + nanoseconds / 1e9
