"""/proc/PID/maps: the memory regions of a process, for dumps and memory scans alike."""

from dataclasses import dataclass

from irkit.parsers.lines import decimal

ADDRESS_LIMIT = 1 << 64


@dataclass(frozen=True)
class MapsRegion:
    start: int
    end: int
    perms: str
    offset: int
    inode: int
    path: str

    @property
    def size(self) -> int:
        return self.end - self.start


def parse_maps(text: bytes, source: str = "maps") -> tuple[list[MapsRegion], list[str]]:
    """The regions, and one problem per line that is not a region (named `source:line`)."""
    regions: list[MapsRegion] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = raw.split(None, 5)
        try:
            start_s, end_s = parts[0].split(b"-")
            inode = decimal(parts[4].decode("ascii"))
            if inode is None:
                raise ValueError("inode not a number")
            region = MapsRegion(
                start=int(start_s, 16),
                end=int(end_s, 16),
                perms=parts[1].decode("ascii"),
                offset=int(parts[2], 16),
                inode=inode,
                path=parts[5].decode("utf-8", "surrogateescape") if len(parts) > 5 else "",
            )
        except (IndexError, ValueError, UnicodeDecodeError):
            problems.append(f"{source}:{number}: not a maps line: {raw[:120]!r}")
            continue
        if (
            region.end < region.start
            or max(region.end, region.offset) >= ADDRESS_LIMIT
            or len(region.perms) != 4
        ):
            problems.append(f"{source}:{number}: bad range or permissions: {raw[:120]!r}")
            continue
        regions.append(region)
    return regions, problems
