"""Timestamps: `utc_iso` by `isoformat` gives what `strftime(ISO_FORMAT)` gave, for any time a
host file may carry (years 1 to 9999, any microsecond)."""

import re
from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from irkit.timeutil import ISO_FORMAT, utc_iso, utc_now_iso
from tests.hostile.fuzzing import fuzz_settings

FIRST, LAST = -62135596800.0, 253402300799.0
"""0001-01-01 and 9999-12-31T23:59:59 UTC in seconds since the epoch."""


@fuzz_settings(500)
@given(st.floats(min_value=FIRST, max_value=LAST) | st.integers(int(FIRST), int(LAST)))
@example(0)
@example(-1)
@example(FIRST)
@example(-30610224000.5)  # the year 1000 and just before it
@example(-30610224001)
@example(1764576000.000001)
def test_utc_iso_is_strftime(epoch: float) -> None:
    assert utc_iso(epoch) == datetime.fromtimestamp(epoch, tz=UTC).strftime(ISO_FORMAT)


def test_now_has_the_format() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", utc_now_iso())
