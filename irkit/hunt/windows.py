"""Scan a large address space (process memory, a memory image) in overlapping windows.

The space is a list of extents (address, length) read through `read_at`. Windows of
`window` bytes are filled from consecutive extents into one reused buffer, so memory use
is bounded whatever the target's size, and many small regions cost one libyara pass
rather than one each (per-pass cost dominates, see YARA-LESSONS). Each window after the
first starts with the last `overlap` bytes of the one before; instances that start in a
window's tail are left to the next window, so a string across a border is found once.
Strings longer than `overlap` that cross a border can be missed; conditions that need
strings from two different windows cannot match (documented in docs/hunting.md).
"""

import bisect
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from irkit.hunt.hits import YaraHit
from irkit.hunt.libyara import Rules, yara
from irkit.hunt.matching import match_buffer, merge_matches
from irkit.hunt.mentions import settle_mentions

DEFAULT_WINDOW = 64 << 20
DEFAULT_OVERLAP = 1 << 20
READ_BLOCK = 1 << 20

ReadAt = Callable[[int, int], bytes]


@dataclass(frozen=True)
class Extent:
    address: int
    length: int


@dataclass
class TargetResult:
    """What scanning one target gave: hits, bytes scanned, and what went wrong."""

    target: str
    target_kind: str
    hits: list[YaraHit] = field(default_factory=list)
    scanned: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timed_out: bool = False

    @property
    def complete(self) -> bool:
        return not self.errors and not self.timed_out


@dataclass
class _Window:
    size: int
    buffer: bytearray = field(init=False)
    filled: int = 0
    starts: list[int] = field(default_factory=list)
    addresses: list[int] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.buffer = bytearray(self.size)

    @property
    def room(self) -> int:
        return self.size - self.filled

    def append(self, address: int, data: bytes) -> None:
        n = len(data)
        self.buffer[self.filled : self.filled + n] = data
        last = len(self.starts) - 1
        if last >= 0 and self.addresses[last] + self.lengths[last] == address:
            self.lengths[last] += n
        else:
            self.starts.append(self.filled)
            self.addresses.append(address)
            self.lengths.append(n)
        self.filled += n

    def translate(self, offset: int) -> int:
        i = bisect.bisect_right(self.starts, offset) - 1
        return self.addresses[i] + (offset - self.starts[i])

    def keep_tail(self, overlap: int) -> None:
        """Move the last `overlap` bytes to the front, with their addresses."""
        cut = max(0, self.filled - overlap)
        starts, addresses, lengths = [], [], []
        for start, address, length in zip(self.starts, self.addresses, self.lengths, strict=True):
            end = start + length
            if end <= cut:
                continue
            skip = max(0, cut - start)
            starts.append(start + skip - cut)
            addresses.append(address + skip)
            lengths.append(length - skip)
        self.buffer[: self.filled - cut] = self.buffer[cut : self.filled]
        self.starts, self.addresses, self.lengths = starts, addresses, lengths
        self.filled -= cut


def scan_extents(
    rules: Rules,
    extents: Iterable[Extent],
    read_at: ReadAt,
    result: TargetResult,
    *,
    pid: int | None = None,
    path: str | None = None,
    externals: dict[str, str] | None = None,
    window: int = DEFAULT_WINDOW,
    overlap: int = DEFAULT_OVERLAP,
    timeout: float | None = None,
) -> TargetResult:
    """Scan `extents` into `result`. A read error skips the rest of its extent (noted in
    `result.errors`) and scanning goes on with the next."""
    if not 0 <= overlap < window:
        raise ValueError(f"overlap ({overlap}) must be smaller than the window ({window})")
    deadline = time.monotonic() + timeout if timeout else None
    hits: dict[str, YaraHit] = {}
    whole_file = result.target_kind == "bundle-member"
    buf = _Window(window)
    passes = 0
    carried = 0

    def scan(final: bool) -> bool:
        nonlocal passes, carried
        left = None
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                result.timed_out = True
                return False
        tail = buf.filled if final else buf.filled - overlap
        try:
            matches = match_buffer(
                rules, memoryview(buf.buffer)[: buf.filled], externals=externals, timeout=left
            )
        except yara.TimeoutError:
            result.timed_out = True
            return False
        merge_matches(
            hits,
            matches,
            target=result.target,
            target_kind=result.target_kind,
            pid=pid,
            path=path,
            translate=buf.translate,
            keep=lambda offset: offset < tail,
            first_window=passes == 0,
        )
        result.scanned += buf.filled - carried
        passes += 1
        if not final:
            buf.keep_tail(overlap)
            carried = buf.filled
        return True

    for extent in extents:
        address, end = extent.address, extent.address + extent.length
        while address < end:
            size = min(end - address, buf.room, READ_BLOCK)
            try:
                data = read_at(address, size)
            except OSError as exc:
                result.errors.append(f"{address:#x}+{end - address:#x}: {exc.strerror or exc}")
                break
            if not data:
                break
            buf.append(address, data)
            address += len(data)
            if buf.room == 0 and not scan(final=False):
                result.hits = settle_mentions(hits.values(), whole_file=whole_file)
                return result
    if buf.filled:
        scan(final=True)
    result.hits = settle_mentions(hits.values(), whole_file=whole_file)
    return result
