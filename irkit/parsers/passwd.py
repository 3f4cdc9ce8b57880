"""/etc/passwd and /etc/group, read from the root (never `getent`, never /etc/shadow)."""

from collections.abc import Iterator
from dataclasses import dataclass

from irkit.parsers.lines import ID_MAX, LineProblem, content_lines, decimal


@dataclass
class PasswdEntry:
    line: int
    name: str
    uid: int
    gid: int
    gecos: str
    home: str
    shell: str


@dataclass
class GroupEntry:
    line: int
    name: str
    gid: int
    members: list[str]


def parse_passwd(data: bytes) -> Iterator[PasswdEntry | LineProblem]:
    for number, line in content_lines(data):
        fields = line.split(":")
        if len(fields) != 7:
            yield LineProblem(number, f"expected 7 fields, found {len(fields)}")
            continue
        uid, gid = decimal(fields[2], ID_MAX), decimal(fields[3], ID_MAX)
        if uid is None or gid is None:
            yield LineProblem(
                number, f"uid/gid not a number: {fields[2][:40]!r}/{fields[3][:40]!r}"
            )
            continue
        yield PasswdEntry(number, fields[0], uid, gid, fields[4], fields[5], fields[6])


def parse_group(data: bytes) -> Iterator[GroupEntry | LineProblem]:
    for number, line in content_lines(data):
        fields = line.split(":")
        if len(fields) != 4:
            yield LineProblem(number, f"expected 4 fields, found {len(fields)}")
            continue
        gid = decimal(fields[2], ID_MAX)
        if gid is None:
            yield LineProblem(number, f"gid not a number: {fields[2][:40]!r}")
            continue
        yield GroupEntry(number, fields[0], gid, [m for m in fields[3].split(",") if m])
