"""sudoers(5) lines: rules, aliases, Defaults and include directives.

`#include` and `#includedir` look like comments but are directives, so the
generic comment-skipping reader is not used for them.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from irkit.lossless import decode_host

INCLUDES = ("#include", "#includedir", "@include", "@includedir")


@dataclass
class SudoersLine:
    line: int
    text: str
    include: str | None
    nopasswd: bool


def parse_sudoers(data: bytes) -> Iterator[SudoersLine]:
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(decode_host(data).splitlines(), 1):
        text = raw.strip()
        if not pending:
            start = number
            if not text or (text.startswith("#") and not text.startswith(INCLUDES)):
                continue
        if text.endswith("\\"):
            pending.append(text[:-1].strip())
            continue
        pending.append(text)
        joined = " ".join(pending)
        pending = []
        include = None
        if joined.startswith(INCLUDES):
            parts = joined.split(None, 1)
            include = parts[1] if len(parts) > 1 else ""
        yield SudoersLine(start, joined, include, "NOPASSWD" in joined)
