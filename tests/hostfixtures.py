"""Build fixture host trees (a root and a procfs) for collector tests."""

import struct
from pathlib import Path

UTMP = struct.Struct("<h2xi32s4s32s256shhiii16s20s")


def utmp_record(
    ut_type: int,
    *,
    pid: int = 0,
    line: bytes = b"",
    user: bytes = b"",
    host: bytes = b"",
    time: int = 0,
    address: bytes = bytes(16),
) -> bytes:
    """One glibc utmp record, written independently of the parser under test."""
    return UTMP.pack(ut_type, pid, line, line[-4:], user, host, 0, 0, 0, time, 0, address, b"")


def write_tree(base: Path, files: dict[str, bytes | str]) -> Path:
    for rel, content in files.items():
        path = base / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return base
