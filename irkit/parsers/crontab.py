"""crontab(5) and anacrontab(5) lines, parsed as cron would read them.

A system crontab (/etc/crontab, /etc/cron.d/*) has a user field after the
schedule; a user's crontab does not. Environment lines (NAME=value) are kept
apart: `PATH=/tmp/.x:...` or `LD_PRELOAD=...` in a crontab is itself a signal.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from irkit.parsers.lines import LineProblem, content_lines

NICKNAMES = frozenset(
    {"@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\s*=")
_FIELD = r"[0-9A-Za-z*/,\-]+"
_SCHEDULE = re.compile(rf"{_FIELD}(?: {_FIELD}){{4}}")
"""Five time fields joined by single spaces (`str.split` leaves no whitespace in a field)."""


@dataclass
class CronEntry:
    line: int
    schedule: str
    user: str | None
    command: str


@dataclass
class CronEnvironment:
    line: int
    name: str
    value: str


def parse_crontab(
    data: bytes, *, system: bool
) -> Iterator[CronEntry | CronEnvironment | LineProblem]:
    for number, text in content_lines(data):
        if _ENV.match(text):
            name, _, value = text.partition("=")
            yield CronEnvironment(number, name.strip(), value.strip())
            continue
        fields = text.split()
        if fields[0].startswith("@"):
            if fields[0] not in NICKNAMES:
                yield LineProblem(number, f"unknown schedule {fields[0]!r}")
                continue
            schedule, rest = fields[0], fields[1:]
        else:
            schedule = " ".join(fields[:5])
            if len(fields) < 6 or not _SCHEDULE.fullmatch(schedule):
                yield LineProblem(number, "not a crontab line (expected 5 time fields)")
                continue
            rest = fields[5:]
        user = None
        if system:
            if not rest:
                yield LineProblem(number, "system crontab line without a user")
                continue
            user, rest = rest[0], rest[1:]
        if not rest:
            yield LineProblem(number, "crontab line without a command")
            continue
        skip = len(fields) - len(rest)
        command = text.split(None, skip)[skip]  # as written: inner spacing kept
        yield CronEntry(number, schedule, user, command.strip())


@dataclass
class AnacronEntry:
    line: int
    period: str
    delay: str
    job_id: str
    command: str


def parse_anacrontab(data: bytes) -> Iterator[AnacronEntry | CronEnvironment | LineProblem]:
    for number, text in content_lines(data):
        if _ENV.match(text):
            name, _, value = text.partition("=")
            yield CronEnvironment(number, name.strip(), value.strip())
            continue
        fields = text.split(None, 3)
        if len(fields) < 4 or not fields[1].isdigit():
            yield LineProblem(number, "not an anacrontab line (period delay job-id command)")
            continue
        yield AnacronEntry(number, fields[0], fields[1], fields[2], fields[3].strip())
