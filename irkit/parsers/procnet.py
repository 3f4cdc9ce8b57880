"""The kernel's socket tables: /proc/net/{tcp,tcp6,udp,udp6,unix}.

`ss` and `netstat` read the same tables (or netlink); reading them here means
the host's possibly trojaned tools are never run. Addresses are stored as
32-bit words in the host's byte order, which is what struct's native order undoes.
"""

import ipaddress
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from irkit.lossless import decode_host
from irkit.parsers.lines import ID_MAX, decimal

TCP_STATES = {
    "01": "ESTABLISHED",
    "02": "SYN_SENT",
    "03": "SYN_RECV",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "09": "LAST_ACK",
    "0A": "LISTEN",
    "0B": "CLOSING",
    "0C": "NEW_SYN_RECV",
}
UDP_STATES = {"01": "ESTABLISHED", "07": "UNCONN"}
UNIX_STATES = {"01": "UNCONNECTED", "02": "CONNECTING", "03": "CONNECTED", "04": "DISCONNECTING"}
UNIX_TYPES = {"0001": "stream", "0002": "dgram", "0005": "seqpacket"}
SO_ACCEPTCON = 0x10000
INET_TABLES = ("tcp", "tcp6", "udp", "udp6")


@dataclass
class InetSocket:
    proto: str
    line: int
    local_address: str
    local_port: int
    remote_address: str
    remote_port: int
    state: str
    uid: int
    inode: int


@dataclass
class UnixSocket:
    line: int
    path: str
    type: str
    state: str
    listening: bool
    inode: int


@dataclass
class TableProblem:
    line: int
    problem: str


def _word_order() -> str:
    return "<" if sys.byteorder == "little" else ">"


def decode_address(hex_address: str) -> str:
    """'0100007F' -> '127.0.0.1'; 32 hex digits -> an IPv6 address (words in host order)."""
    raw = bytes.fromhex(hex_address)
    if len(raw) not in (4, 16):
        raise ValueError(f"address of {len(raw)} bytes")
    words = struct.unpack(f"{_word_order()}{len(raw) // 4}I", raw)
    packed = struct.pack(f">{len(words)}I", *words)
    if len(packed) == 4:
        return str(ipaddress.IPv4Address(packed))
    address = ipaddress.IPv6Address(packed)
    if address.ipv4_mapped is not None:  # written as ss does, whatever the Python version
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def _endpoint(text: str) -> tuple[str, int]:
    address, _, port = text.partition(":")
    if not (len(port) == 4 and port.isascii()):
        raise ValueError(f"port not 4 hex digits: {port[:20]!r}")
    return decode_address(address), int(port, 16)


def _number(text: str, what: str, maximum: int = 2**64 - 1) -> int:
    """A bounded decimal field (int() takes " 1_0" and Unicode digits, and raises at 5,000)."""
    value = decimal(text, maximum)
    if value is None:
        raise ValueError(f"{what} not a number: {text[:20]!r}")
    return value


def parse_inet_table(proto: str, data: bytes) -> Iterator[InetSocket | TableProblem]:
    """Yield one socket per row, and a problem for each row that cannot be one."""
    states = TCP_STATES if proto.startswith("tcp") else UDP_STATES
    for number, raw in enumerate(decode_host(data).splitlines(), 1):
        fields = raw.split()
        if number == 1 or not fields:
            continue
        try:
            local, remote = _endpoint(fields[1]), _endpoint(fields[2])
            yield InetSocket(
                proto=proto,
                line=number,
                local_address=local[0],
                local_port=local[1],
                remote_address=remote[0],
                remote_port=remote[1],
                state=states.get(fields[3].upper(), fields[3]),
                uid=_number(fields[7], "uid", ID_MAX),
                inode=_number(fields[9], "inode"),
            )
        except (IndexError, ValueError) as exc:
            yield TableProblem(number, f"unreadable {proto} row: {exc}")


def parse_unix_table(data: bytes) -> Iterator[UnixSocket | TableProblem]:
    for number, raw in enumerate(decode_host(data).splitlines(), 1):
        fields = raw.split(maxsplit=7)
        if number == 1 or not fields:
            continue
        try:
            flags = int(fields[3], 16)
            yield UnixSocket(
                line=number,
                path=fields[7] if len(fields) > 7 else "",
                type=UNIX_TYPES.get(fields[4], fields[4]),
                state=UNIX_STATES.get(fields[5], fields[5]),
                listening=bool(flags & SO_ACCEPTCON),
                inode=_number(fields[6], "inode"),
            )
        except (IndexError, ValueError) as exc:
            yield TableProblem(number, f"unreadable unix row: {exc}")
