"""Where each physical address of a memory image lies in the file (LiME, ELF core, raw).

Shared by the image writers' tests, the no-symbols YARA scan (which reports physical
addresses) and `irkit memory analyze`'s description of an image.
"""

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from irkit.confined import open_regular

LIME_MAGIC = 0x4C694D45
LIME_HEADER = struct.Struct("<IIQQ8x")
ELF_MAGIC = b"\x7fELF"
PT_LOAD = 1


@dataclass(frozen=True)
class PhysicalRange:
    physical: int
    file_offset: int
    length: int


@dataclass
class ImageLayout:
    format: str
    ranges: list[PhysicalRange]

    @property
    def total(self) -> int:
        return sum(r.length for r in self.ranges)


class ImageFormatError(ValueError):
    """A file that claims a format but breaks it; the message names file and offset."""


def lime_header(start: int, end_inclusive: int) -> bytes:
    return LIME_HEADER.pack(LIME_MAGIC, 1, start, end_inclusive)


def _lime_ranges(fd: int, size: int, path: Path) -> list[PhysicalRange]:
    ranges: list[PhysicalRange] = []
    pos = 0
    while pos < size:
        raw = os.pread(fd, LIME_HEADER.size, pos)
        if len(raw) < LIME_HEADER.size:
            raise ImageFormatError(f"{path}: LiME header cut short at offset {pos}")
        magic, version, start, end = LIME_HEADER.unpack(raw)
        if magic != LIME_MAGIC or version != 1 or end < start:
            raise ImageFormatError(f"{path}: bad LiME header at offset {pos}")
        length = end - start + 1
        ranges.append(PhysicalRange(start, pos + LIME_HEADER.size, length))
        pos += LIME_HEADER.size + length
    if pos > size:
        raise ImageFormatError(f"{path}: last LiME range runs past the end of the file")
    return ranges


def _elf_ranges(fd: int, path: Path) -> list[PhysicalRange]:
    head = os.pread(fd, 64, 0)
    if len(head) < 64 or head[4] != 2 or head[5] != 1:
        raise ImageFormatError(f"{path}: not a little-endian 64-bit ELF file")
    phoff, phentsize, phnum = (
        struct.unpack_from("<Q", head, 32)[0],
        *struct.unpack_from("<HH", head, 54),
    )
    table = os.pread(fd, phentsize * phnum, phoff)
    if len(table) < phentsize * phnum:
        raise ImageFormatError(f"{path}: program headers cut short at offset {phoff}")
    ranges = []
    for i in range(phnum):
        p_type, _flags, offset, _vaddr, paddr, filesz = struct.unpack_from(
            "<IIQQQQ", table, i * phentsize
        )
        if p_type == PT_LOAD and filesz:
            ranges.append(PhysicalRange(paddr, offset, filesz))
    return ranges


def image_layout(path: Path) -> ImageLayout:
    """The image's physical ranges; an unrecognised file is taken as a raw image from 0."""
    with open_regular(path) as handle:
        fd = handle.fileno()
        size = os.fstat(fd).st_size
        magic = os.pread(fd, 4, 0)
        if len(magic) == 4 and struct.unpack("<I", magic)[0] == LIME_MAGIC:
            return ImageLayout("lime", _lime_ranges(fd, size, path))
        if magic == ELF_MAGIC:
            return ImageLayout("elf", _elf_ranges(fd, path))
    return ImageLayout("raw", [PhysicalRange(0, 0, size)])
