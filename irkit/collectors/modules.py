"""Loaded kernel modules and the kernel's taint flags.

A module in /sys/module with an initstate (so loadable, not built in) but absent
from /proc/modules has been unlinked from the module list: the classic way a
kernel rootkit hides itself, and cheap to check.
"""

import os
from dataclasses import dataclass, field
from typing import ClassVar

from irkit.collectors.base import Collector, Context
from irkit.evidence.records import Record
from irkit.parsers.kmodules import KernelModule, decode_taint, parse_modules
from irkit.parsers.lines import LineProblem, decimal


@dataclass
class KernelModuleRecord(Record):
    kind: ClassVar[str] = "kernel_module"
    name: str
    size: int | None
    refcount: int | None
    used_by: list[str]
    state: str | None
    address: str | None
    taint: str
    flags: list[str] = field(default_factory=list)


@dataclass
class KernelTaintRecord(Record):
    kind: ClassVar[str] = "kernel_taint"
    value: int
    flags: list[str]


class ModulesCollector(Collector):
    name = "modules"
    volatility = 40
    description = "loaded kernel modules (/proc/modules, /sys/module) and kernel taint flags"

    def collect(self, ctx: Context) -> None:
        listed: set[str] = set()
        copied = ctx.copy_proc_file("modules")
        if copied is not None:
            for item in parse_modules(copied.data):
                if isinstance(item, LineProblem):
                    ctx.log("parse", "warning", item.problem, path="/proc/modules", line=item.line)
                    continue
                listed.add(item.name)
                ctx.emit(self._record(item))
        if copied is not None:
            self._unlisted(ctx, listed)
        tainted = ctx.copy_proc_file("sys", "kernel", "tainted")
        if tainted is not None:
            fields = tainted.text.split(maxsplit=1)
            value = decimal(fields[0]) if fields else None
            if value is None:
                ctx.log(
                    "parse", "error", "taint mask not a number", path="/proc/sys/kernel/tainted"
                )
            else:
                ctx.emit(KernelTaintRecord(value, decode_taint(value)))

    @staticmethod
    def _record(item: KernelModule) -> KernelModuleRecord:
        flags = []
        if "O" in item.taint:
            flags.append("out-of-tree")
        if "E" in item.taint:
            flags.append("unsigned")
        return KernelModuleRecord(
            item.name,
            item.size,
            item.refcount,
            item.used_by,
            item.state,
            item.address,
            item.taint,
            flags,
        )

    @staticmethod
    def _unlisted(ctx: Context, listed: set[str]) -> None:
        try:
            sysmodule = ctx.host_path("/sys/module")
            names = sorted(os.listdir(sysmodule))
        except OSError as exc:
            ctx.log_error("list", exc, path="/sys/module")
            return
        for name in names:
            if name in listed or not os.path.exists(os.path.join(sysmodule, name, "initstate")):
                continue
            ctx.emit(
                KernelModuleRecord(name, None, None, [], None, None, "", ["not-in-proc-modules"])
            )
