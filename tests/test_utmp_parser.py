"""utmp parser: a normal fixture with expected entries, and corrupt variants."""

import ipaddress

from hostfixtures import utmp_record
from hypothesis import given
from hypothesis import strategies as st

from irkit.parsers.utmp import RECORD_SIZE, UtmpEntry, UtmpProblem, parse_utmp

FIXTURE = (
    utmp_record(2, line=b"~", user=b"reboot", time=1_700_000_000)
    + utmp_record(
        7,
        pid=4242,
        line=b"pts/0",
        user=b"root",
        host=b"203.0.113.9",
        time=1_700_000_100,
        address=ipaddress.IPv4Address("203.0.113.9").packed + bytes(12),
    )
    + utmp_record(0)
    + utmp_record(
        7,
        pid=77,
        line=b"pts/1",
        user=b"ev\xffil",
        host=b"::1",
        time=1_700_000_200,
        address=ipaddress.IPv6Address("::1").packed,
    )
)


def test_fixture_yields_the_expected_entries() -> None:
    entries = list(parse_utmp(FIXTURE))
    assert entries == [
        UtmpEntry(
            0, "BOOT_TIME", 0, "~", "~", "reboot", "", None, 0, "2023-11-14T22:13:20.000000Z"
        ),
        UtmpEntry(
            RECORD_SIZE,
            "USER_PROCESS",
            4242,
            "pts/0",
            "ts/0",
            "root",
            "203.0.113.9",
            "203.0.113.9",
            0,
            "2023-11-14T22:15:00.000000Z",
        ),
        UtmpEntry(
            3 * RECORD_SIZE,
            "USER_PROCESS",
            77,
            "pts/1",
            "ts/1",
            "ev\udcffil",
            "::1",
            "::1",
            0,
            "2023-11-14T22:16:40.000000Z",
        ),
    ]


def test_truncated_file_keeps_the_whole_records() -> None:
    items = list(parse_utmp(FIXTURE[: RECORD_SIZE * 2 + 100]))
    assert [type(i) for i in items] == [UtmpEntry, UtmpEntry, UtmpProblem]
    assert "truncated" in items[-1].problem


def test_garbage_record_is_a_problem_not_a_crash() -> None:
    corrupt = utmp_record(7, user=b"ok", time=5) + b"\x7f" * RECORD_SIZE
    items = list(parse_utmp(corrupt))
    assert isinstance(items[0], UtmpEntry)
    assert isinstance(items[1], UtmpProblem)


@given(st.binary(max_size=RECORD_SIZE * 3))
def test_any_bytes_parse_without_raising(data: bytes) -> None:
    for item in parse_utmp(data):
        assert isinstance(item, UtmpEntry | UtmpProblem)
