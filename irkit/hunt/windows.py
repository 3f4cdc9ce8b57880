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


class _WindowScan:
    """One target's scan: fills the window from extents and runs a YARA pass whenever it is
    full, keeping the hits merged across passes in `hits`."""

    def __init__(
        self,
        rules: Rules,
        result: TargetResult,
        *,
        pid: int | None,
        path: str | None,
        externals: dict[str, str] | None,
        window: int,
        overlap: int,
        timeout: float | None,
    ) -> None:
        self.rules, self.result = rules, result
        self.pid, self.path, self.externals = pid, path, externals
        self.buf = _Window(window)
        self.overlap = overlap
        self.deadline = time.monotonic() + timeout if timeout else None
        self.hits: dict[str, YaraHit] = {}
        self.passes = 0
        self.carried = 0

    def _time_left(self) -> float | None:
        """Seconds left for this pass (None: no limit); 0 or less marks the result timed out."""
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.result.timed_out = True
        return left

    def scan(self, final: bool) -> bool:
        """One pass over the window; False when the time is up (the scan stops there)."""
        buf, result = self.buf, self.result
        left = self._time_left()
        if left is not None and left <= 0:
            return False
        tail = buf.filled if final else buf.filled - self.overlap
        try:
            matches = match_buffer(
                self.rules, memoryview(buf.buffer)[: buf.filled], externals=self.externals,
                timeout=left,
            )  # fmt: skip
        except yara.TimeoutError:
            result.timed_out = True
            return False
        merge_matches(
            self.hits,
            matches,
            target=result.target,
            target_kind=result.target_kind,
            pid=self.pid,
            path=self.path,
            translate=buf.translate,
            keep=lambda offset: offset < tail,
            first_window=self.passes == 0,
        )
        result.scanned += buf.filled - self.carried
        self.passes += 1
        if not final:
            buf.keep_tail(self.overlap)
            self.carried = buf.filled
        return True

    def read_extent(self, extent: Extent, read_at: ReadAt) -> bool:
        """Read the extent into the window, scanning each time it fills; False when the time
        is up. A read error is noted and ends the extent, not the scan."""
        address, end = extent.address, extent.address + extent.length
        while address < end:
            size = min(end - address, self.buf.room, READ_BLOCK)
            try:
                data = read_at(address, size)
            except OSError as exc:
                self.result.errors.append(f"{address:#x}+{end - address:#x}: {exc.strerror or exc}")
                return True
            if not data:
                return True
            self.buf.append(address, data)
            address += len(data)
            if self.buf.room == 0 and not self.scan(final=False):
                return False
        return True


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
    scan = _WindowScan(
        rules, result, pid=pid, path=path, externals=externals, window=window, overlap=overlap,
        timeout=timeout,
    )  # fmt: skip
    if all(scan.read_extent(extent, read_at) for extent in extents) and scan.buf.filled:
        scan.scan(final=True)
    whole_file = result.target_kind == "bundle-member"
    result.hits = settle_mentions(scan.hits.values(), whole_file=whole_file)
    return result
