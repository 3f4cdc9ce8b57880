"""/proc/modules and the kernel taint mask (/proc/sys/kernel/tainted).

An out-of-tree or unsigned module (taint O/E) on a server that should have none
is how kernel rootkits that hide miners (Diamorphine, Reptile) first show.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from irkit.lossless import decode_host
from irkit.parsers.lines import LineProblem, decimal

# Documentation/admin-guide/tainted-kernels.rst: bit -> (letter, meaning)
TAINT_FLAGS: dict[int, tuple[str, str]] = {
    0: ("P", "proprietary module loaded"),
    1: ("F", "module force-loaded"),
    2: ("S", "SMP kernel on an unsafe CPU"),
    3: ("R", "module force-unloaded"),
    4: ("M", "machine check exception"),
    5: ("B", "bad page"),
    6: ("U", "taint requested by user space"),
    7: ("D", "kernel died recently (oops/BUG)"),
    8: ("A", "ACPI table overridden"),
    9: ("W", "kernel warning"),
    10: ("C", "staging driver loaded"),
    11: ("I", "firmware bug workaround"),
    12: ("O", "out-of-tree module loaded"),
    13: ("E", "unsigned module loaded"),
    14: ("L", "soft lockup"),
    15: ("K", "kernel live-patched"),
    16: ("X", "auxiliary taint (distribution)"),
    17: ("T", "built with struct randomization"),
    18: ("N", "in-kernel test"),
    19: ("J", "userspace used a mutating debug operation in fwctl"),
}


@dataclass
class KernelModule:
    line: int
    name: str
    size: int
    refcount: int
    used_by: list[str]
    state: str
    address: str | None
    taint: str


def decode_taint(value: int) -> list[str]:
    """'O: out-of-tree module loaded', ... for each bit set (unknown bits by number)."""
    flags = []
    for bit in range(value.bit_length()):
        if value >> bit & 1:
            letter, meaning = TAINT_FLAGS.get(bit, (f"bit{bit}", "unknown taint bit"))
            flags.append(f"{letter}: {meaning}")
    return flags


def parse_modules(data: bytes) -> Iterator[KernelModule | LineProblem]:
    for number, raw in enumerate(decode_host(data).splitlines(), 1):
        fields = raw.split()
        if not fields:
            continue
        size = decimal(fields[1]) if len(fields) >= 5 else None
        if size is None:
            yield LineProblem(number, "not a /proc/modules line")
            continue
        refcount = decimal(fields[2])
        used_by = [m for m in fields[3].split(",") if m and m != "-"]
        yield KernelModule(
            line=number,
            name=fields[0],
            size=size,
            refcount=-1 if refcount is None else refcount,
            used_by=used_by,
            state=fields[4],
            address=fields[5] if len(fields) > 5 else None,
            taint=fields[6].strip("()") if len(fields) > 6 else "",
        )
