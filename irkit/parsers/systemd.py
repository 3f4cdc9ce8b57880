"""systemd unit files (systemd.syntax(7)): sections, keys, values, with line numbers.

Only the syntax is parsed here; which keys make persistence is the collector's call.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from irkit.parsers.lines import LineProblem, content_lines


@dataclass
class UnitSetting:
    line: int
    section: str
    key: str
    value: str


def parse_unit(data: bytes) -> Iterator[UnitSetting | LineProblem]:
    section = ""
    for number, text in content_lines(data, continuation=True):
        if text.startswith(";"):
            continue
        if text.startswith("["):
            if not text.endswith("]"):
                yield LineProblem(number, f"unterminated section header {text!r}")
                continue
            section = text[1:-1].strip()
            continue
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            yield LineProblem(number, "not a key=value line")
            continue
        if not section:
            yield LineProblem(number, "setting before any [section]")
            continue
        yield UnitSetting(number, section, key.strip(), value.strip())
