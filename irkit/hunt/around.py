"""The bytes around a YARA match, re-read so a value cut in the hit's excerpt is whole again.

A hit keeps 64 bytes per string (`hits.MAX_EXCERPT`): a 95-character Monero address, a pool URL
after a long key, or a config whose `"user"` follows its `"url"` never fits. IOC extraction reads
a bounded window around each matched string instead (BEFORE bytes before it, AFTER after it),
from the process's memory (the same /proc/PID/mem the hunt read) or from the kept file copy.
"""

import os
from pathlib import Path

from irkit.confined import open_proc
from irkit.hunt.hits import YaraHit

BEFORE = 256
AFTER = 768
_PRINTABLE = bytes(range(0x20, 0x7F))


def text_of(data: bytes) -> str:
    """Printable ASCII kept, every other byte a line break: values never run into binary
    neighbours, and a regex sees each string on its own."""
    return "".join(chr(b) if b in _PRINTABLE else "\n" for b in data)


def _window(offset: int, length: int) -> tuple[int, int]:
    start = max(0, offset - BEFORE)
    return start, offset + length + AFTER - start


def around_in_data(hit: YaraHit, data: bytes) -> str:
    """Windows of a file hit, from the copy the triage kept (offsets are file offsets)."""
    parts = []
    for string in hit.strings:
        start, count = _window(string.offset, string.length)
        parts.append(text_of(data[start : start + count]))
    return "\n".join(parts)


def around_in_process(hit: YaraHit, proc: Path, pid: int) -> str:
    """Windows of a process hit, re-read from /proc/PID/mem (offsets are virtual addresses);
    a window that cannot be read (the process exited, the page went away) is left out."""
    parts = []
    try:
        mem = open_proc(proc, f"{pid}/mem")
    except OSError:
        return ""
    with mem:
        for string in hit.strings:
            start, count = _window(string.offset, string.length)
            try:
                data = os.pread(mem.fileno(), count, start)
            except OSError:
                try:  # the window may start before the mapping: from the match itself
                    data = os.pread(mem.fileno(), string.length + AFTER, string.offset)
                except OSError:
                    continue
            parts.append(text_of(data))
    return "\n".join(parts)
