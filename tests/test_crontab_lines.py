"""Crontab lines read the cheaper way give what the line-by-line way gave: `content_lines`
without continuations (each line stripped, blanks and comments left out) and the five time
fields checked by one pattern over the joined schedule instead of one per field."""

import re
from collections.abc import Iterator

from hypothesis import example, given
from hypothesis import strategies as st

from irkit.lossless import decode_host
from irkit.parsers.crontab import CronEntry, CronEnvironment, parse_crontab
from irkit.parsers.lines import LineProblem, content_lines
from tests.hostile.fuzzing import fuzz_settings


def reference_lines(data: bytes) -> Iterator[tuple[int, str]]:
    """`content_lines(data)` as it was: every line through the continuation loop."""
    for number, raw in enumerate(decode_host(data).splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if joined := " ".join(part.strip() for part in [raw]).strip():
            yield number, joined


_FIELD = re.compile(r"^[0-9A-Za-z*/,\-]+$")


def reference_schedule_ok(fields: list[str]) -> bool:
    return len(fields) >= 6 and all(_FIELD.match(f) for f in fields[:5])


PIECES = ["*", "*/5", "1,2", "0-5", "@reboot", "root", "/bin/x", "#", "A=b", " ", "\t", "\n",
          "\r\n", "\\", "\x0b", "\u00a0", "\u2003", "é", "\udcff", "\x00", "-", "$"]  # fmt: skip
crontabs = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=30).map("".join)


@fuzz_settings(500)
@given(crontabs)
@example("* * * * * root /bin/x\n# c\n\n  0 1 * * * root y  \n")
@example("* * * *\u00a0* root x\n*/5 1-2 3,4 * MON root z\n")
def test_lines_and_schedules_as_before(text: str) -> None:
    data = text.encode("utf-8", "surrogateescape")
    assert list(content_lines(data)) == list(reference_lines(data))
    for system in (True, False):
        for item, (number, line) in zip(
            parse_crontab(data, system=system), content_lines(data), strict=True
        ):
            fields = line.split()
            if isinstance(item, CronEntry) and not fields[0].startswith("@"):
                assert reference_schedule_ok(fields) and item.schedule == " ".join(fields[:5])
            elif isinstance(item, LineProblem) and "5 time fields" in item.problem:
                assert not reference_schedule_ok(fields)
            assert item.line == number or isinstance(item, CronEnvironment)
