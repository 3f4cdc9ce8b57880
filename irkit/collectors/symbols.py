"""Collect what makes a memory image of this boot analysable: BTF, kallsyms, banner, la57.

Why always, even without an image: an image taken by another tool on the same boot becomes
analysable with these, and they vanish at reboot. kallsyms is checked as it is read: without
root, or with kernel.kptr_restrict >= 2, every address reads 0 and the copy is useless; on a
kernel without CONFIG_KALLSYMS_ALL it holds no data symbols (no init_task) and an ISF built
from it cannot list processes.
"""

import os
from dataclasses import dataclass, field
from typing import ClassVar

from irkit.collectors.base import Context
from irkit.evidence.records import Record
from irkit.memory.isf import NO_DATA_SYMBOLS, kallsyms_has_data_symbols

BTF_PATH = "/sys/kernel/btf/vmlinux"
ZERO_CHECK_BYTES = 64 << 10
KALLSYMS_KEEP_BYTES = 64 << 20
"""kallsyms is read whole (10-20 MB) to see whether it names init_task; a longer one is
copied all the same but not checked."""


@dataclass
class SymbolMaterialRecord(Record):
    """Where the symbol material is in the bundle and whether it is usable."""

    kind: ClassVar[str] = "memory-symbols"
    btf_member: str | None
    kallsyms_member: str | None
    banner_member: str | None
    banner: str | None
    kallsyms_usable: bool
    kptr_restrict: int | None
    la57: bool | None
    problems: list[str] = field(default_factory=list)


def kallsyms_addresses_zero(head: bytes) -> bool:
    """True when the first symbols all read 0: the kernel hid them from this reader."""
    lines = [line.split() for line in head.splitlines()[:200]]
    addresses = [parts[0] for parts in lines if len(parts) >= 3]
    return bool(addresses) and all(set(a) <= {ord("0")} for a in addresses)


def cpu_la57(cpuinfo: str) -> bool | None:
    """Whether the kernel runs 5-level paging: it clears the la57 flag when it does not."""
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return "la57" in line.split(":", 1)[-1].split()
    return None


def collect_symbol_material(ctx: Context) -> SymbolMaterialRecord:
    problems: list[str] = []
    btf = ctx.copy_host_file(BTF_PATH, keep=0)
    if btf is None:
        problems.append(f"{BTF_PATH} unreadable or absent (kernel without CONFIG_DEBUG_INFO_BTF?)")
    kptr = ctx.copy_proc_file("sys", "kernel", "kptr_restrict")
    kptr_value = int(kptr.text.strip()) if kptr and kptr.text.strip().isdigit() else None
    kallsyms = ctx.copy_proc_file("kallsyms", keep=KALLSYMS_KEEP_BYTES)
    usable = kallsyms is not None and not kallsyms_addresses_zero(kallsyms.data[:ZERO_CHECK_BYTES])
    if kallsyms is None:
        problems.append("/proc/kallsyms unreadable")
    elif not usable:
        why = "not running as root" if os.geteuid() != 0 else "kernel.kptr_restrict"
        problems.append(
            f"/proc/kallsyms addresses all read 0 ({why}; kptr_restrict={kptr_value}):"
            " an ISF cannot be built from this copy"
        )
    elif len(kallsyms.data) < KALLSYMS_KEEP_BYTES and not kallsyms_has_data_symbols(kallsyms.data):
        problems.append(NO_DATA_SYMBOLS)
    version = ctx.copy_proc_file("version")
    cpuinfo = ctx.copy_proc_file("cpuinfo")
    la57 = cpu_la57(cpuinfo.text) if cpuinfo else None
    if la57:
        problems.append(
            "the CPU runs 5-level paging (la57): volatility3 walks only 4-level page tables"
        )
    record = SymbolMaterialRecord(
        btf_member=btf.record.member if btf else None,
        kallsyms_member=kallsyms.record.member if kallsyms else None,
        banner_member=version.record.member if version else None,
        banner=version.text.strip() if version else None,
        kallsyms_usable=usable,
        kptr_restrict=kptr_value,
        la57=la57,
        problems=problems,
    )
    ctx.log(
        "symbol-material",
        "ok" if not problems else "warning",
        "; ".join(problems) or None,
        btf=bool(btf),
        kallsyms_usable=usable,
        la57=la57,
    )
    return record
