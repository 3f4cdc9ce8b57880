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


def parse_btf(data: bytes) -> Btf:
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

    def name_at(off: int) -> str:
        try:
            return names[off]
        except KeyError:
            raise BtfError(f"BTF: name offset {off} is not the start of a string") from None

    types: list[BtfType] = [BtfType(kind=0, name="void")]
    pos, end = base + type_off, base + type_off + type_len
    u32 = struct.Struct("<I")
    u32x3 = struct.Struct("<III")
    try:
        while pos < end:
            name_off, info, size_or_type = u32x3.unpack_from(data, pos)
            entry_at = pos
            pos += 12
            kind = (info >> 24) & 0x1F
            vlen = info & 0xFFFF
            kind_flag = bool(info >> 31)
            t = BtfType(kind=kind, name=name_at(name_off), kind_flag=kind_flag)
            if kind == INT:
                (enc,) = u32.unpack_from(data, pos)
                pos += 4
                t.size = size_or_type
                t.encoding = (enc >> 24) & 0xF
                t.int_offset = (enc >> 16) & 0xFF
                t.int_bits = enc & 0xFF
            elif kind == ARRAY:
                t.ref, _index, t.count = u32x3.unpack_from(data, pos)
                pos += 12
            elif kind in (STRUCT, UNION):
                t.size = size_or_type
                for _ in range(vlen):
                    m_name, m_type, m_off = u32x3.unpack_from(data, pos)
                    pos += 12
                    if kind_flag:
                        t.members.append(
                            Member(name_at(m_name), m_type, m_off & 0xFFFFFF, m_off >> 24)
                        )
                    else:
                        t.members.append(Member(name_at(m_name), m_type, m_off))
            elif kind == ENUM:
                t.size = size_or_type
                for _ in range(vlen):
                    e_name, e_val = struct.unpack_from("<Ii" if kind_flag else "<II", data, pos)
                    pos += 8
                    t.enumerators.append((name_at(e_name), e_val))
            elif kind == ENUM64:
                t.size = size_or_type
                for _ in range(vlen):
                    e_name, lo, hi = u32x3.unpack_from(data, pos)
                    pos += 12
                    value = (hi << 32) | lo
                    if kind_flag and value >= 1 << 63:
                        value -= 1 << 64
                    t.enumerators.append((name_at(e_name), value))
            elif kind == FUNC_PROTO:
                t.ref = size_or_type
                pos += 8 * vlen
            elif kind == VAR:
                t.ref = size_or_type
                pos += 4
            elif kind == DATASEC:
                t.size = size_or_type
                pos += 12 * vlen
            elif kind == DECL_TAG:
                t.ref = size_or_type
                pos += 4
            elif kind == FLOAT:
                t.size = size_or_type
            elif kind in (PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, TYPE_TAG):
                t.ref = size_or_type
            else:
                raise BtfError(
                    f"BTF: unknown kind {kind} in type {len(types)} at offset {entry_at}"
                )
            types.append(t)
    except struct.error:
        raise BtfError(f"BTF: type section cut short at offset {pos}") from None
    if pos != end:
        raise BtfError(f"BTF: type section ends at offset {pos}, header says {end}")
    return Btf(types)
