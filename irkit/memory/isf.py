"""Build a volatility3 symbol table (ISF) from BTF, kallsyms and the kernel banner.

Why: volatility3 needs an ISF for the exact kernel, normally made by dwarf2json from a debug
kernel package nobody has at hand. The running kernel carries its types as BTF and its symbol
addresses in /proc/kallsyms; collected with the image they are enough (MEMORY-NOTES). Pure
Python, stdlib only, a few seconds and a few hundred MB, against dwarf2json's 46 s and 4 GB.
"""

import base64
import json
import lzma
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from irkit import __version__
from irkit.memory.btf import (
    ARRAY,
    ENUM,
    ENUM64,
    FLOAT,
    FUNC,
    FUNC_PROTO,
    FWD,
    INT,
    INT_BOOL,
    INT_CHAR,
    INT_SIGNED,
    PTR,
    QUALIFIERS,
    STRUCT,
    TYPEDEF,
    UNION,
    VAR,
    Btf,
    BtfType,
    parse_btf,
)
from irkit.outfile import open_output_file
from irkit.timeutil import utc_now_iso

ISF_FORMAT = "6.2.0"
PRODUCER = "irkit-btf2isf"
KERNEL_LINK_BASE = 0xFFFFFFFF81000000
KERNEL_IMAGE_START = 0xFFFFFFFF80000000

Descriptor = dict[str, Any]

# Global variables the Linux plugins read. BTF types only per-cpu variables, so ordinary
# globals get their types from this table: (type name, kind, array count or None, pointer?).
# A count of -1 means "as many elements as fit before the next symbol".
CURATED_GLOBALS: dict[str, tuple[str, str, int | None, bool]] = {
    "init_task": ("task_struct", "struct", None, False),
    "init_mm": ("mm_struct", "struct", None, False),
    "init_pid_ns": ("pid_namespace", "struct", None, False),
    "init_net": ("net", "struct", None, False),
    "net_namespace_list": ("list_head", "struct", None, False),
    "modules": ("list_head", "struct", None, False),
    "module_kset": ("kset", "struct", None, True),
    "socket_file_ops": ("file_operations", "struct", None, False),
    "sockfs_dentry_operations": ("dentry_operations", "struct", None, False),
    "idt_table": ("gate_struct", "struct", 256, False),
    "prb": ("printk_ringbuffer", "struct", None, True),
    "tty_drivers": ("list_head", "struct", None, False),
    "keyboard_notifier_list": ("atomic_notifier_head", "struct", None, False),
    "mod_tree": ("mod_tree_root", "struct", None, False),
    "vmemmap_base": ("long unsigned int", "base", None, False),
    "page_offset_base": ("long unsigned int", "base", None, False),
    "mem_map": ("page", "struct", None, True),
    "mem_section": ("mem_section", "struct", None, True),
    # TAINT_FLAGS_COUNT is 19 from 6.0 (18 before); the gap to the next symbol overcounts.
    "taint_flags": ("taint_flag", "struct", 19, False),
    "sys_call_table": ("long unsigned int", "base", -1, False),
    "ia32_sys_call_table": ("long unsigned int", "base", -1, False),
    "iomem_resource": ("resource", "struct", None, False),
    "prog_idr": ("idr", "struct", None, False),
    "ftrace_ops_list": ("ftrace_ops", "struct", None, True),
    "ftrace_list_end": ("ftrace_ops", "struct", None, False),
    "nf_hooks": ("list_head", "struct", -1, False),
    "num_registered_fb": ("int", "base", None, False),
    "registered_fb": ("fb_info", "struct", -1, True),
    "cap_last_cap": ("int", "base", None, False),
    "kallsyms_num_syms": ("unsigned int", "base", None, False),
    "module_addr_min": ("long unsigned int", "base", None, False),
    "module_addr_max": ("long unsigned int", "base", None, False),
    "bpf_kallsyms": ("list_head", "struct", None, False),
    "ftrace_mod_maps": ("list_head", "struct", None, False),
    "node_data": ("pglist_data", "struct", -1, True),
    "linux_banner": ("char", "base", -1, False),
    "_text": ("char", "base", None, False),
    "_etext": ("char", "base", None, False),
}
# tk_core is an anonymous `struct { seqcount_raw_spinlock_t seq; struct timekeeper timekeeper; }`
# (kernel/time/timekeeping.c); BTF does not describe it, so the ISF gets a made-up type for it.
TK_CORE_TYPE = "irkit_tk_core"


NO_DATA_SYMBOLS = (
    "kallsyms holds no data symbols (no init_task: the kernel was built without"
    " CONFIG_KALLSYMS_ALL): volatility3 finds the kernel and its task list through init_task,"
    " init_mm and init_files, so this symbol table cannot list processes, sockets or files."
    " Use an ISF made by dwarf2json from the kernel's debug package (--isf)."
)


def isf_warnings(isf: dict[str, Any]) -> list[str]:
    """What makes an ISF unable to serve the Linux plugins, found from its symbols alone."""
    symbols = isf.get("symbols")
    return [NO_DATA_SYMBOLS] if isinstance(symbols, dict) and "init_task" not in symbols else []


def kallsyms_has_data_symbols(text: bytes) -> bool:
    """Whether a /proc/kallsyms copy names init_task (CONFIG_KALLSYMS_ALL is on)."""
    return re.search(rb"^[0-9a-fA-F]+ [A-Za-z] init_task$", text, re.MULTILINE) is not None


class IsfError(ValueError):
    """Input that cannot make an ISF; the message names the file and line."""


@dataclass
class KernelSymbols:
    addresses: dict[str, int]
    kaslr_shift: int
    order: list[tuple[int, str]] = field(default_factory=list)


def parse_kallsyms(lines: Iterable[str], source: str = "kallsyms") -> KernelSymbols:
    """Kernel (not module) symbols, with the KASLR shift taken out of their addresses.

    kallsyms shows relocated addresses; volatility3 adds the shift it finds itself, so an ISF
    that kept it would point everything twice as far and pslist would silently print nothing.
    """
    raw: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) == 4 and parts[3].startswith("["):
            continue
        if len(parts) != 3:
            raise IsfError(f"{source}:{number}: expected 'ADDRESS TYPE NAME', got {line.strip()!r}")
        try:
            address = int(parts[0], 16)
        except ValueError:
            raise IsfError(f"{source}:{number}: bad address {parts[0]!r}") from None
        raw.setdefault(parts[2], address)
    if "_text" not in raw:
        raise IsfError(f"{source}: no _text symbol; is this /proc/kallsyms?")
    if raw["_text"] == 0:
        raise IsfError(
            f"{source}: every address reads 0 (kptr_restrict, or not read as root):"
            " collect /proc/kallsyms as root with kernel.kptr_restrict < 2"
        )
    shift = raw["_text"] - KERNEL_LINK_BASE
    addresses = {
        name: (addr - shift if addr >= KERNEL_IMAGE_START else addr) for name, addr in raw.items()
    }
    order = sorted((a, n) for n, a in addresses.items() if a >= KERNEL_IMAGE_START)
    return KernelSymbols(addresses, shift, order)


def read_banner(data: bytes, source: str = "banner") -> bytes:
    """The linux_banner string as it sits in memory: /proc/version's line plus its NUL."""
    line = data.split(b"\0", 1)[0]
    if not line.startswith(b"Linux version "):
        raise IsfError(f"{source}:1: does not start with 'Linux version ' (expected /proc/version)")
    return line if line.endswith(b"\n") else line + b"\n"


class _Builder:
    def __init__(self, btf: Btf) -> None:
        self.types = btf.types
        self.base_types: dict[str, dict[str, Any]] = {
            "void": {"kind": "void", "size": 0, "signed": False, "endian": "little"},
            "pointer": {"kind": "int", "size": 8, "signed": False, "endian": "little"},
        }
        self.user_types: dict[str, dict[str, Any]] = {}
        self.enums: dict[str, dict[str, Any]] = {}
        self.names: dict[int, str] = {}
        self.anonymous_by_id: set[int] = set()
        self._descriptors: dict[int, Descriptor] = {}
        self._name_aggregates()

    def _name_aggregates(self) -> None:
        """Give every struct, union and enum a unique name before any is referenced."""
        typedef_names: dict[int, str] = {}
        for t in self.types:
            if t.kind == TYPEDEF and t.name and not self.types[t.ref].name:
                typedef_names.setdefault(t.ref, t.name)
        taken: set[str] = set()
        enum_taken: set[str] = set()
        # Named definitions with members first, so `task_struct` is the real one, and a
        # clashing (or empty) duplicate is the one that gets a suffix.
        order = sorted(
            (i for i, t in enumerate(self.types) if t.kind in (STRUCT, UNION, ENUM, ENUM64)),
            key=lambda i: (
                not self.types[i].name,
                not (self.types[i].members or self.types[i].enumerators),
                i,
            ),
        )
        for i in order:
            t = self.types[i]
            pool = enum_taken if t.kind in (ENUM, ENUM64) else taken
            kind = {STRUCT: "struct", UNION: "union"}.get(t.kind, "enum")
            name = t.name or typedef_names.get(i) or f"unnamed_{kind}_{i}"
            if not t.name and i not in typedef_names:
                self.anonymous_by_id.add(i)
            if name in pool:
                name = f"{name}__{i}"
            pool.add(name)
            self.names[i] = name

    def resolve(self, type_id: int) -> int:
        seen = 0
        while self.types[type_id].kind in QUALIFIERS:
            type_id = self.types[type_id].ref
            seen += 1
            if seen > 64:
                raise IsfError(f"BTF: qualifier loop at type {type_id}")
        return type_id

    def base(self, t: BtfType) -> Descriptor:
        if t.kind == FLOAT:
            kind, signed = "float", True
        elif t.encoding & INT_BOOL:
            kind, signed = "bool", False
        elif t.encoding & INT_CHAR or t.name in ("char", "signed char", "unsigned char"):
            kind, signed = "char", bool(t.encoding & INT_SIGNED)
        else:
            kind, signed = "int", bool(t.encoding & INT_SIGNED)
        self.base_types.setdefault(
            t.name, {"kind": kind, "size": t.size, "signed": signed, "endian": "little"}
        )
        return {"kind": "base", "name": t.name}

    def descriptor(self, type_id: int) -> Descriptor:
        type_id = self.resolve(type_id)
        cached = self._descriptors.get(type_id)
        if cached is not None:
            return cached
        t = self.types[type_id]
        d: Descriptor
        if type_id == 0:
            d = {"kind": "base", "name": "void"}
        elif t.kind in (INT, FLOAT):
            d = self.base(t)
        elif t.kind == PTR:
            target = self.resolve(t.ref)
            if self.types[target].kind == FUNC_PROTO:
                d = {"kind": "pointer", "subtype": {"kind": "function"}}
            else:
                d = {"kind": "pointer", "subtype": self.descriptor(target)}
        elif t.kind == ARRAY:
            d = {"kind": "array", "count": t.count, "subtype": self.descriptor(t.ref)}
        elif t.kind in (STRUCT, UNION):
            d = {"kind": "struct" if t.kind == STRUCT else "union", "name": self.names[type_id]}
        elif t.kind in (ENUM, ENUM64):
            d = {"kind": "enum", "name": self.names[type_id]}
        elif t.kind == FWD:
            d = {"kind": "union" if t.kind_flag else "struct", "name": t.name}
        elif t.kind in (FUNC, FUNC_PROTO):
            d = {"kind": "function"}
        else:
            raise IsfError(f"BTF: type {type_id} (kind {t.kind}) cannot be a member or variable")
        self._descriptors[type_id] = d
        return d

    def enum_base(self, size: int, signed: bool) -> str:
        name = {
            (1, True): "signed char",
            (1, False): "unsigned char",
            (2, True): "short int",
            (2, False): "short unsigned int",
            (4, True): "int",
            (4, False): "unsigned int",
            (8, True): "long int",
            (8, False): "long unsigned int",
        }[(size, signed)]
        kind = "char" if size == 1 else "int"
        self.base_types.setdefault(
            name, {"kind": kind, "size": size, "signed": signed, "endian": "little"}
        )
        return name

    def member(self, m_type: int, bit_offset: int, bitfield_size: int) -> tuple[int, Descriptor]:
        target = self.resolve(m_type)
        t = self.types[target]
        if not bitfield_size and t.kind == INT and t.int_bits != t.size * 8:
            bitfield_size, bit_offset = t.int_bits, bit_offset + t.int_offset
        if not bitfield_size:
            return bit_offset // 8, self.descriptor(target)
        unit = max(t.size, 1)
        offset = (bit_offset // (unit * 8)) * unit
        position = bit_offset - offset * 8
        if position + bitfield_size > unit * 8:
            offset, position = bit_offset // 8, bit_offset % 8
        return offset, {
            "kind": "bitfield",
            "bit_position": position,
            "bit_length": bitfield_size,
            "type": self.descriptor(target),
        }

    def build_types(self) -> None:
        for i, t in enumerate(self.types):
            if t.kind in (STRUCT, UNION):
                self.user_types[self.names[i]] = {
                    "kind": "struct" if t.kind == STRUCT else "union",
                    "size": t.size,
                    "fields": self.fields(i, t),
                }
            elif t.kind in (ENUM, ENUM64):
                signed = t.kind_flag or any(v < 0 for _, v in t.enumerators)
                self.enums[self.names[i]] = {
                    "size": t.size,
                    "base": self.enum_base(t.size, signed),
                    "constants": dict(t.enumerators),
                }

    def fields(self, type_id: int, t: BtfType) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for n, m in enumerate(t.members):
            offset, desc = self.member(m.type_id, m.bit_offset, m.bitfield_size)
            entry: dict[str, Any] = {"type": desc, "offset": offset}
            name = m.name
            if not name:
                name = f"unnamed_field_{type_id}_{n}"
                if desc.get("kind") in ("struct", "union"):
                    entry["anonymous"] = True
            if name in out:
                name = f"{name}__{n}"
            out[name] = entry
        return out

    def add_tk_core(self) -> Descriptor | None:
        timekeeper = self.user_types.get("timekeeper")
        seq = self.user_types.get("seqcount_raw_spinlock")
        if timekeeper is None or seq is None:
            return None
        offset = (seq["size"] + 7) // 8 * 8
        self.user_types[TK_CORE_TYPE] = {
            "kind": "struct",
            "size": offset + timekeeper["size"],
            "fields": {
                "seq": {"type": {"kind": "struct", "name": "seqcount_raw_spinlock"}, "offset": 0},
                "timekeeper": {"type": {"kind": "struct", "name": "timekeeper"}, "offset": offset},
            },
        }
        return {"kind": "struct", "name": TK_CORE_TYPE}

    def variable_types(self) -> dict[str, Descriptor]:
        """Types BTF does give for variables: per-cpu ones (and all, on kernels that emit them)."""
        out: dict[str, Descriptor] = {}
        for t in self.types:
            if t.kind == VAR and t.name:
                out.setdefault(t.name, self.descriptor(t.ref))
        return out


def _size_of(builder: _Builder, desc: Descriptor) -> int:
    kind = desc["kind"]
    if kind == "base":
        return int(builder.base_types[desc["name"]]["size"])
    if kind in ("struct", "union"):
        return int(builder.user_types[desc["name"]]["size"])
    if kind == "pointer":
        return 8
    if kind == "enum":
        return int(builder.enums[desc["name"]]["size"])
    if kind == "array":
        return int(desc["count"]) * _size_of(builder, desc["subtype"])
    return 0


def _curated(builder: _Builder, symbols: KernelSymbols) -> Iterator[tuple[str, Descriptor]]:
    following: dict[str, int] = {}
    for (addr, name), (next_addr, _) in zip(symbols.order, symbols.order[1:], strict=False):
        if next_addr > addr:
            following.setdefault(name, next_addr - addr)
    for name, (type_name, kind, count, pointer) in CURATED_GLOBALS.items():
        if name not in symbols.addresses:
            continue
        if kind == "base":
            if type_name not in builder.base_types:
                continue
            desc: Descriptor = {"kind": "base", "name": type_name}
        elif type_name in builder.user_types:
            desc = {"kind": kind, "name": type_name}
        else:
            continue
        if pointer:
            desc = {"kind": "pointer", "subtype": desc}
        if count is not None:
            size = _size_of(builder, desc) or 1
            n = count if count >= 0 else max(1, following.get(name, size) // size)
            desc = {"kind": "array", "count": n, "subtype": desc}
        yield name, desc
    tk = builder.add_tk_core()
    if tk is not None and "tk_core" in symbols.addresses:
        yield "tk_core", tk


def build_isf(
    btf_data: bytes,
    kallsyms_text: str,
    banner_data: bytes,
    sources: tuple[str, str] = ("kallsyms", "banner"),
) -> dict[str, Any]:
    """The ISF as a dict (format 6.2.0), from the three pieces of symbol material.

    `sources` names the kallsyms and banner inputs in error messages. What makes the ISF
    unfit for the Linux plugins (isf_warnings) is kept in metadata.producer.warnings."""
    builder = _Builder(parse_btf(btf_data))
    builder.build_types()
    symbols = parse_kallsyms(kallsyms_text.splitlines(), sources[0])
    banner = read_banner(banner_data, sources[1])
    typed = builder.variable_types()
    typed.update(_curated(builder, symbols))
    out_symbols: dict[str, dict[str, Any]] = {}
    for name, address in symbols.addresses.items():
        entry: dict[str, Any] = {"address": address}
        if name in typed:
            entry["type"] = typed[name]
        out_symbols[name] = entry
    out_symbols.setdefault("linux_banner", {"address": 0})
    out_symbols["linux_banner"]["constant_data"] = base64.b64encode(banner + b"\0").decode()
    isf: dict[str, Any] = {
        "metadata": {
            "format": ISF_FORMAT,
            "producer": {"name": PRODUCER, "version": __version__, "datetime": utc_now_iso()},
            "linux": {"symbols": [{"kind": "symtab", "name": "kallsyms"}]},
        },
        "base_types": builder.base_types,
        "user_types": builder.user_types,
        "enums": builder.enums,
        "symbols": out_symbols,
    }
    warnings = isf_warnings(isf)
    if warnings:
        # The schema closes `metadata` but leaves `producer` open: the ISF says it itself.
        isf["metadata"]["producer"]["warnings"] = warnings
    return isf


def write_isf(isf: dict[str, Any], path: Path, *, force: bool = False) -> None:
    """Write .json.xz (what volatility3 reads from its symbol directories) or plain .json,
    created like every output (no link followed, replaced only with `force`)."""
    raw = json.dumps(isf, separators=(",", ":")).encode()
    with open_output_file(path, "wb", force=force) as handle:
        if path.name.endswith(".xz"):
            with lzma.open(handle, "wb", preset=1) as packed:
                packed.write(raw)
        else:
            handle.write(raw)
