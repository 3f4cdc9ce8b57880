"""Scan a memory image (raw, LiME payload, a core file) as a stream of overlapping windows.

Memory use is one window whatever the image size, so an image larger than RAM works.
Offsets in hits are image offsets plus `base`: a caller that knows the physical address of
`start` (a LiME range, say) passes it as `base` and gets physical addresses back.
"""

import os
from pathlib import Path

from irkit.confined import open_regular
from irkit.hunt.libyara import Rules
from irkit.hunt.windows import DEFAULT_OVERLAP, DEFAULT_WINDOW, Extent, TargetResult, scan_extents


def scan_memory_image(
    rules: Rules,
    path: Path,
    *,
    start: int = 0,
    length: int | None = None,
    base: int | None = None,
    window: int = DEFAULT_WINDOW,
    overlap: int = DEFAULT_OVERLAP,
    timeout: float | None = None,
) -> TargetResult:
    """Scan bytes [start, start+length) of the image; offsets reported from `base` (default
    `start`, i.e. plain image offsets)."""
    result = TargetResult(str(path), "image")
    try:
        handle = open_regular(path, follow=True)
    except OSError as exc:
        result.errors.append(f"{path}: {exc.strerror or exc}")
        return result
    with handle:
        fd = handle.fileno()
        size = os.fstat(fd).st_size
        end = size if length is None else min(size, start + length)
        shift = (start if base is None else base) - start

        def read_at(address: int, count: int) -> bytes:
            return os.pread(fd, count, address - shift)

        return scan_extents(
            rules,
            [Extent(start + shift, max(0, end - start))],
            read_at,
            result,
            path=str(path),
            externals=_image_externals(path),
            window=window,
            overlap=overlap,
            timeout=timeout,
        )


def _image_externals(path: Path) -> dict[str, str]:
    return {
        "filename": path.name,
        "filepath": str(path),
        "extension": path.suffix.lower(),
        "filetype": "MEMORY",
    }
