"""at(1) job files in the spool: a shell script `at` writes, which atd runs later.

Debian names a job `<queue><job:5 hex><minutes since epoch:8 hex>`, so the
file name says when it runs. The user's commands follow the `cd ... || {...}`
block, inside a `marcinDELIMITER` here-document in newer versions of at.
"""

import re
from dataclasses import dataclass, field

from irkit.lossless import decode_host
from irkit.parsers.lines import ID_MAX, LineProblem, decimal
from irkit.timeutil import utc_iso

_NAME = re.compile(r"^([a-zA-Z=])([0-9a-f]{5})([0-9a-f]{8})$")
_ATRUN = re.compile(r"^# atrun uid=(\S*) gid=")


@dataclass
class AtCommand:
    line: int
    command: str


@dataclass
class AtJob:
    uid: int | None = None
    commands: list[AtCommand] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    """Lines that are not what atd writes; a job with its preamble missing has only those."""


def run_time_from_name(name: str) -> str | None:
    """When the job runs, from its name; None when the name says no time a clock can show
    (`a00000ffffffff` is the year 10136: a crafted name must not hide the job's commands)."""
    match = _NAME.match(name)
    if not match:
        return None
    try:
        return utc_iso(int(match.group(3), 16) * 60)
    except (ValueError, OverflowError, OSError):
        return None


def parse_at_job(data: bytes) -> AtJob:
    lines = decode_host(data).splitlines()
    job = AtJob()
    if not lines or not lines[0].startswith("#!"):
        job.problems.append(LineProblem(1, "not an at job (no #! line)"))
        return job
    body_start: int | None = None
    block_closed = False
    delimiter = None
    for number, line in enumerate(lines, 1):
        if match := _ATRUN.match(line):
            job.uid = decimal(match.group(1), ID_MAX)
            if job.uid is None:
                job.problems.append(
                    LineProblem(number, f"uid not a number: {match.group(1)[:40]!r}")
                )
        elif body_start is None and line.startswith("cd ") and line.rstrip().endswith("{"):
            body_start = number
        elif body_start is not None and not block_closed and line.strip() == "}":
            body_start, block_closed = number, True
        elif block_closed and delimiter is None and "<< 'marcinDELIMITER" in line:
            delimiter = line.split("'")[1]
            body_start = number
            break
    if not block_closed or body_start is None:
        job.problems.append(LineProblem(1, "at job without its 'cd ... || { ... }' preamble"))
        return job
    for number in range(body_start + 1, len(lines) + 1):
        text = lines[number - 1].strip()
        if delimiter and text == delimiter:
            break
        if text and not text.startswith("#"):
            job.commands.append(AtCommand(number, text))
    return job
