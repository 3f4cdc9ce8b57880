"""Line-oriented host files: the pieces every config parser here shares."""

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from irkit.lossless import decode_host


@dataclass
class LineProblem:
    """A line that could not be parsed; the collector logs it with the file name."""

    line: int
    problem: str


def content_lines(data: bytes, *, continuation: bool = False) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each line that is neither blank nor a `#` comment.

    With `continuation`, a trailing backslash joins the next line, as shells and
    systemd do; the number is that of the first physical line.
    """
    lines = enumerate(decode_host(data).splitlines(), 1)
    if not continuation:  # each line alone: its stripped text (10,000 crontabs are read)
        for number, raw in lines:
            stripped = raw.strip()
            if stripped and not stripped.startswith("#"):
                yield number, stripped
        return
    pending: list[str] = []
    start = 0
    for number, raw in lines:
        if not pending:
            start = number
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
        if raw.rstrip().endswith("\\"):
            pending.append(raw.rstrip()[:-1])
            continue
        pending.append(raw)
        if joined := " ".join(part.strip() for part in pending).strip():
            yield start, joined
        pending = []
    if pending and (joined := " ".join(part.strip() for part in pending).strip()):
        yield start, joined  # a lone "\\" joins nothing: no line, not an empty one


ID_MAX = 2**32 - 1
"""uid_t and gid_t are 32 bits."""


def decimal(text: str | bytes, maximum: int = 2**64 - 1) -> int | None:
    """A number as the kernel or a config writes it: ASCII digits up to `maximum`, else None.

    int() alone takes " 1_0", Unicode digits and signs, and raises on 5,000 digits. Bytes are
    taken as they are (procfs fields: no decoding per number, 60,000 of them in a snapshot).
    """
    if not (text.isascii() and text.isdigit()) or len(text) > _width(maximum):
        return None
    value = int(text)
    return value if value <= maximum else None


@lru_cache(maxsize=16)
def _width(maximum: int) -> int:
    """Digits of `maximum` (a few distinct maxima, each asked for once per number parsed)."""
    return len(str(maximum))


def looks_binary(data: bytes) -> bool:
    """A text config with NUL bytes is not one: garbage, or something hidden in its place."""
    return b"\0" in data[:8192]
