"""Small line formats that start programs: shell start-up files, the preload list,
udev rules, module lists, XDG .desktop files. Each yields persistence entries.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from irkit.parsers.lines import LineProblem, content_lines


@dataclass
class Entry:
    """One thing a host file makes run: where (line), what (command), when (schedule)."""

    line: int | None
    command: str | None
    schedule: str | None = None
    owner: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


EntryParser = Callable[[bytes, str], Iterator[Entry | LineProblem]]

_UDEV_RUN = re.compile(r"\b(RUN|PROGRAM|IMPORT\{program\})(\{[^}]*\})?\s*\+?=\s*\"([^\"]*)\"")
_MODULE = re.compile(r"^[A-Za-z0-9_\-]+$")


def shell_entries(schedule: str) -> EntryParser:
    """Every command line of a shell script: any of them may be the one an intruder added."""

    def parse(data: bytes, path: str) -> Iterator[Entry | LineProblem]:
        for number, text in content_lines(data, continuation=True):
            yield Entry(number, text, schedule)

    return parse


def preload_entries(data: bytes, path: str) -> Iterator[Entry | LineProblem]:
    """ld.so.preload: libraries separated by spaces, tabs, colons or newlines (ld.so(8))."""
    for number, text in content_lines(data):
        for library in re.split(r"[\s:]+", text):
            if library:
                yield Entry(number, library, "every dynamically linked program start", "root")


def module_entries(data: bytes, path: str) -> Iterator[Entry | LineProblem]:
    for number, text in content_lines(data):
        if text.startswith(";"):
            continue
        name = text.split()[0]
        if _MODULE.match(name):
            yield Entry(number, name, "boot", "root", detail={"line": text})
        else:
            yield LineProblem(number, f"not a module name: {name!r}")


def udev_entries(data: bytes, path: str) -> Iterator[Entry | LineProblem]:
    """Only rules that run something (RUN, PROGRAM, IMPORT{program}) are persistence."""
    for number, text in content_lines(data, continuation=True):
        if "==" not in text and "=" not in text:
            yield LineProblem(number, "not a udev rule")
            continue
        for match in _UDEV_RUN.finditer(text):
            yield Entry(
                number,
                match.group(3),
                "device event",
                "root",
                detail={"key": match.group(1), "rule": text},
            )


def desktop_entries(data: bytes, path: str) -> Iterator[Entry | LineProblem]:
    section = ""
    for number, text in content_lines(data):
        if text.startswith("["):
            section = text.strip("[]")
            continue
        key, sep, value = text.partition("=")
        if not sep:
            yield LineProblem(number, "not a key=value line")
        elif section == "Desktop Entry" and key.strip() in ("Exec", "TryExec"):
            yield Entry(number, value.strip(), "desktop login", detail={"key": key.strip()})
