"""Bounded reads of the analyst's memory-analysis inputs: ISFs, BTF, kallsyms, banners.

These files may come from a hostile host (its bundle) or from anywhere on the internet (an
ISF): a FIFO must not hang the read, a 780 KB xz bomb must not inflate to 5 GiB, and JSON
nested 100,000 deep must not end in a RecursionError. Each refusal is an InputError that
names the file; the commands turn it into exit 2.
"""

import bz2
import gzip
import lzma
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from irkit.confined import open_regular
from irkit.evidence.safejson import JsonError, parse_json

INPUT_MAX_BYTES = 256 << 20
"""Largest ISF (after decompression), BTF or kallsyms read. Real kernel ISFs are 10-60 MB
uncompressed, BTF 4-6 MB, kallsyms 10-20 MB: a quarter GiB leaves room and bounds memory."""
ISF_MAX_DEPTH = 64
"""Deepest JSON nesting accepted in an ISF (real ones nest about 8 deep: pointer to array
of struct...). volatility3 and the schema check recurse per level."""

_COMPRESSED: tuple[tuple[bytes, Callable[..., Any]], ...] = (
    (b"\xfd7zXZ\x00", lzma.open),
    (b"\x1f\x8b", gzip.open),
    (b"BZh", bz2.open),
)


class InputError(ValueError):
    """An input file is not what it must be (not regular, too large, too deep, not JSON)."""


def read_input(path: Path, cap: int = INPUT_MAX_BYTES, *, decompress: bool = False) -> bytes:
    """The bytes of a regular file (decompressed when it starts with an xz, gzip or bzip2
    magic and `decompress` is set), refused beyond `cap` bytes rather than cut."""
    try:
        with open_regular(path) as raw:
            head = raw.read(6)
            raw.seek(0)
            opener = next((o for m, o in _COMPRESSED if decompress and head.startswith(m)), None)
            if opener is None:
                data = _read_upto(raw, cap + 1)
            else:
                with opener(raw, "rb") as stream:
                    data = _read_upto(stream, cap + 1)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"{path}: {reason}") from exc
    if len(data) > cap:
        what = "decompressed, " if opener else ""
        raise InputError(f"{path}: larger than {cap >> 20} MiB ({what}the cap on inputs); refused")
    return data


def _read_upto(stream: IO[bytes], count: int) -> bytes:
    """Up to `count` bytes: an unbuffered read may return less than asked before the end."""
    parts: list[bytes] = []
    while count > 0:
        part = stream.read(min(count, 16 << 20))
        if not part:
            break
        parts.append(part)
        count -= len(part)
    return b"".join(parts)


def load_isf(path: Path) -> tuple[dict[str, Any], bytes]:
    """The ISF parsed, with the exact (decompressed) bytes it was parsed from, so that
    volatility3 is handed the checked text and never reopens the analyst's file."""
    data = read_input(path, decompress=True)
    try:
        isf = parse_json(data, ISF_MAX_DEPTH)
    except JsonError as exc:
        raise InputError(f"{path}: not a readable ISF: {exc}") from exc
    if not isinstance(isf, dict):
        raise InputError(f"{path}: not an ISF (a JSON object is expected)")
    return isf, data
