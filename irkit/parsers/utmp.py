"""utmp/wtmp/btmp records (glibc x86-64 and aarch64 layout, 384 bytes each), parsed in Python.

`last`, `who` and `lastb` are the host's programs and may be trojaned; this reads the files.
"""

import ipaddress
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from irkit.lossless import decode_host
from irkit.timeutil import utc_iso

_LAYOUT = struct.Struct("<h2xi32s4s32s256shhiii16s20s")
RECORD_SIZE = _LAYOUT.size

TYPES = {
    0: "EMPTY",
    1: "RUN_LVL",
    2: "BOOT_TIME",
    3: "NEW_TIME",
    4: "OLD_TIME",
    5: "INIT_PROCESS",
    6: "LOGIN_PROCESS",
    7: "USER_PROCESS",
    8: "DEAD_PROCESS",
    9: "ACCOUNTING",
}


@dataclass
class UtmpEntry:
    offset: int
    type: str
    pid: int
    line: str
    id: str
    user: str
    host: str
    address: str | None
    session: int
    time: str


@dataclass
class UtmpProblem:
    offset: int
    problem: str


def _cstr(raw: bytes) -> str:
    return decode_host(raw.split(b"\0", 1)[0])


def _address(raw: bytes) -> str | None:
    if raw == bytes(16):
        return None
    if raw[4:] == bytes(12):
        return str(ipaddress.IPv4Address(raw[:4]))
    return str(ipaddress.IPv6Address(raw))


def parse_utmp(data: bytes) -> Iterator[UtmpEntry | UtmpProblem]:
    """Yield entries, and a problem for each record that cannot be one (never raise)."""
    for offset in range(0, len(data), RECORD_SIZE):
        chunk = data[offset : offset + RECORD_SIZE]
        if len(chunk) < RECORD_SIZE:
            yield UtmpProblem(offset, f"truncated record: {len(chunk)} of {RECORD_SIZE} bytes")
            return
        (ut_type, pid, line, ut_id, user, host, _term, _exit, session, sec, usec, addr, _pad) = (
            _LAYOUT.unpack(chunk)
        )
        if ut_type == 0:
            continue
        if ut_type not in TYPES or sec < 0:
            yield UtmpProblem(offset, f"not a utmp record (type {ut_type}, time {sec})")
            continue
        yield UtmpEntry(
            offset=offset,
            type=TYPES[ut_type],
            pid=pid,
            line=_cstr(line),
            id=_cstr(ut_id),
            user=_cstr(user),
            host=_cstr(host),
            address=_address(addr),
            session=session,
            time=utc_iso(sec + usec / 1e6),
        )
