"""Parse raw BTF (`/sys/kernel/btf/vmlinux`): the kernel's own type information.

Only the parts an ISF needs are kept. The format is the kernel's (Documentation/bpf/btf.rst):
a header, a type section of variable-length entries numbered from 1 (0 is void), and a string
section the entries point into.
"""

import struct
from dataclasses import dataclass, field

BTF_MAGIC = 0xEB9F

INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF = 1, 2, 3, 4, 5, 6, 7, 8
VOLATILE, CONST, RESTRICT, FUNC, FUNC_PROTO, VAR, DATASEC, FLOAT = 9, 10, 11, 12, 13, 14, 15, 16
DECL_TAG, TYPE_TAG, ENUM64 = 17, 18, 19
QUALIFIERS = frozenset({TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG})

INT_SIGNED, INT_CHAR, INT_BOOL = 1, 2, 4


class BtfError(ValueError):
    """Input that is not BTF, or BTF cut short; the message names the offset."""


@dataclass(slots=True)
class Member:
    name: str
    type_id: int
    bit_offset: int
    bitfield_size: int = 0


@dataclass(slots=True)
class BtfType:
    """One BTF entry. `ref` is the referenced type (ptr/array/typedef/qualifier/var/func)."""

    kind: int
    name: str
    size: int = 0
    ref: int = 0
    kind_flag: bool = False
    encoding: int = 0
    int_bits: int = 0
    int_offset: int = 0
    count: int = 0
    members: list[Member] = field(default_factory=list)
    enumerators: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Btf:
    types: list[BtfType]
    """Indexed by type id; entry 0 stands for void."""


def _strings(blob: bytes) -> dict[int, str]:
    """Offset -> string for every NUL-terminated string; BTF names point only at starts."""
    table: dict[int, str] = {}
    start = 0
    for part in blob.split(b"\0"):
        table[start] = part.decode("utf-8", "replace")
        start += len(part) + 1
    return table


_U32 = struct.Struct("<I")
_U32X3 = struct.Struct("<III")
_NAME_S32 = struct.Struct("<Ii")
_NAME_U32 = struct.Struct("<II")
_REF_ONLY = frozenset({PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, TYPE_TAG})
_REF_AND_SKIP = {FUNC_PROTO: 8, VAR: 4, DECL_TAG: 4}
"""Kinds that keep only their referenced type, and the bytes each entry's data takes (per
vlen item for FUNC_PROTO: parameters are not needed for an ISF)."""


class _TypeSection:
    """A read position in the type section, and the string table its names point into."""

    def __init__(self, data: bytes, pos: int, names: dict[int, str]) -> None:
        self.data = data
        self.pos = pos
        self.names = names

    def read(self, fmt: struct.Struct) -> tuple[int, ...]:
        values = fmt.unpack_from(self.data, self.pos)
        self.pos += fmt.size
        return values

    def name_at(self, off: int) -> str:
        try:
            return self.names[off]
        except KeyError:
            raise BtfError(f"BTF: name offset {off} is not the start of a string") from None


def _sections(data: bytes) -> tuple[int, int, dict[int, str]]:
    """Check the header; return where the type section starts and ends, and the strings."""
    if len(data) < 24:
        raise BtfError(f"BTF: {len(data)} bytes, shorter than the 24-byte header")
    magic, version, _flags, hdr_len = struct.unpack_from("<HBBI", data, 0)
    if magic != BTF_MAGIC:
        raise BtfError(f"BTF: bad magic {magic:#06x} at offset 0 (expected {BTF_MAGIC:#06x})")
    if version != 1:
        raise BtfError(f"BTF: unsupported version {version} at offset 2")
    type_off, type_len, str_off, str_len = struct.unpack_from("<IIII", data, 8)
    base = hdr_len
    if base + max(type_off + type_len, str_off + str_len) > len(data):
        raise BtfError(f"BTF: sections run past the end of the data ({len(data)} bytes)")
    names = _strings(data[base + str_off : base + str_off + str_len])
    return base + type_off, base + type_off + type_len, names


def _read_members(section: _TypeSection, t: BtfType, vlen: int) -> None:
    """A struct's or union's members; with kind_flag the offset word holds a bitfield size."""
    for _ in range(vlen):
        m_name, m_type, m_off = section.read(_U32X3)
        if t.kind_flag:
            t.members.append(Member(section.name_at(m_name), m_type, m_off & 0xFFFFFF, m_off >> 24))
        else:
            t.members.append(Member(section.name_at(m_name), m_type, m_off))


def _read_enumerators(section: _TypeSection, t: BtfType, vlen: int) -> None:
    """An enum's values: 32-bit (signed with kind_flag), or 64-bit in two halves for ENUM64."""
    for _ in range(vlen):
        if t.kind == ENUM64:
            e_name, lo, hi = section.read(_U32X3)
            value = (hi << 32) | lo
            if t.kind_flag and value >= 1 << 63:
                value -= 1 << 64
        else:
            e_name, value = section.read(_NAME_S32 if t.kind_flag else _NAME_U32)
        t.enumerators.append((section.name_at(e_name), value))


def _read_type(section: _TypeSection, type_id: int) -> BtfType:
    """The entry at the read position: the common 12 bytes, then its kind's own data."""
    entry_at = section.pos
    name_off, info, size_or_type = section.read(_U32X3)
    kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
    t = BtfType(kind=kind, name=section.name_at(name_off), kind_flag=bool(info >> 31))
    if kind in _REF_ONLY:
        t.ref = size_or_type
    elif kind in _REF_AND_SKIP:
        t.ref = size_or_type
        section.pos += _REF_AND_SKIP[kind] * (vlen if kind == FUNC_PROTO else 1)
    elif kind == INT:
        (enc,) = section.read(_U32)
        t.size = size_or_type
        t.encoding, t.int_offset, t.int_bits = (enc >> 24) & 0xF, (enc >> 16) & 0xFF, enc & 0xFF
    elif kind == ARRAY:
        t.ref, _index, t.count = section.read(_U32X3)
    elif kind in (STRUCT, UNION):
        t.size = size_or_type
        _read_members(section, t, vlen)
    elif kind in (ENUM, ENUM64):
        t.size = size_or_type
        _read_enumerators(section, t, vlen)
    elif kind == DATASEC:
        t.size = size_or_type
        section.pos += 12 * vlen
    elif kind == FLOAT:
        t.size = size_or_type
    else:
        raise BtfError(f"BTF: unknown kind {kind} in type {type_id} at offset {entry_at}")
    return t


def parse_btf(data: bytes) -> Btf:
    start, end, names = _sections(data)
    section = _TypeSection(data, start, names)
    types: list[BtfType] = [BtfType(kind=0, name="void")]
    try:
        while section.pos < end:
            types.append(_read_type(section, len(types)))
    except struct.error:
        raise BtfError(f"BTF: type section cut short at offset {section.pos}") from None
    if section.pos != end:
        raise BtfError(f"BTF: type section ends at offset {section.pos}, header says {end}")
    return Btf(types)
