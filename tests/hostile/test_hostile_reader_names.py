"""Issue 10 point 14: control, C1, bidi and zero-width characters in host strings never reach a
member name, a terminal or a spreadsheet as themselves (U+202E showed `evil<U+202E>gnp.sh` as
`evilhs.png` in `unzip -l`); and a CSV cell cannot start a formula.
"""

import csv
import io
import json
import re
import subprocess
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from irkit.console import neutralize
from irkit.evidence.names import safe_member_name
from irkit.evidence.writer import EvidenceWriter, host_file_member
from tests.hostile.fuzzing import fuzz_settings
from tests.hostile.reader_helpers import Member, craft_bundle, invoke, no_traceback

BIDI_AND_ZERO_WIDTH = [
    "\u061c", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2060", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff",
]  # fmt: skip
DANGEROUS = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(BIDI_AND_ZERO_WIDTH) + "]")
RLO_NAME = "/tmp/evil\u202egnp.sh"
HOST_TEXT = st.text(
    st.characters(codec="utf-8") | st.sampled_from([*BIDI_AND_ZERO_WIDTH, "\x85", "\x1b", "%"])
) | st.binary().map(lambda b: b.decode("utf-8", "surrogateescape"))


def unescape(member: str) -> bytes:
    """What the %XX escapes of a member name stand for: the host's bytes."""
    raw = member.encode("utf-8")
    return re.sub(rb"%([0-9A-F]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


@fuzz_settings()
@given(HOST_TEXT.filter(lambda t: "/" not in t and t not in ("", ".", "..")))
@example("_")
@example("C:")
def test_member_names_escape_invisible_characters_reversibly(component: str) -> None:
    member = safe_member_name(component)
    assert not DANGEROUS.search(member)
    original = component.encode("utf-8", "surrogateescape")
    # A leading "_" is added only to a name that would read as a drive letter ("C:").
    assert unescape(member) == original or (
        member.startswith("_") and unescape(member[1:]) == original
    )


@fuzz_settings()
@given(HOST_TEXT)
def test_the_terminal_never_gets_an_invisible_character(text: str) -> None:
    assert not DANGEROUS.search(neutralize(text))


def test_unzip_lists_a_bidi_name_escaped(tmp_path: Path) -> None:
    real = tmp_path / "payload"
    real.write_bytes(b"#!/bin/sh\n")
    bundle = tmp_path / "case.zip"
    with bundle.open("wb") as sink, real.open("rb") as source:
        writer = EvidenceWriter(sink, command_line=["irkit", "test"])
        writer.copy_open_file(source, RLO_NAME, host_file_member(RLO_NAME), collector="test")
        writer.close(complete=True)
    listing = subprocess.run(["unzip", "-l", bundle], capture_output=True, check=True).stdout
    assert "\u202e".encode() not in listing
    assert b"files/tmp/evil%E2%80%AEgnp.sh" in listing
    assert invoke("verify", bundle).exit_code == 0


def _bundle_with(tmp_path: Path, record: dict[str, object]) -> Path:
    line = (json.dumps(record) + "\n").encode()
    return craft_bundle(tmp_path / "case.zip", [Member("records/findings.jsonl", line)])


def test_review_prints_a_bidi_title_escaped(tmp_path: Path) -> None:
    title = "miner at " + RLO_NAME
    bundle = _bundle_with(
        tmp_path, {"type": "finding", "title": title, "severity": "high", "path": RLO_NAME}
    )
    result = invoke("review", bundle)
    no_traceback(result)
    assert "\u202e" not in result.output and "evil\\u202egnp.sh" in result.output


def test_timeline_csv_neither_renders_bidi_nor_starts_a_formula(tmp_path: Path) -> None:
    formula = "=cmd|' /C calc'!A0"
    bundle = _bundle_with(
        tmp_path,
        {
            "type": "finding",
            "title": formula,
            "severity": "low",
            "path": RLO_NAME,
            "user": "@SUM(1+1)",
            "time": "2026-11-30T10:00:00Z",
        },
    )
    result = invoke("timeline", bundle, "--format", "csv")
    no_traceback(result)
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row.values())
    assert row["user"] == "'@SUM(1+1)" and "\u202e" not in result.stdout
    assert row["path"] == "/tmp/evil\\u202egnp.sh"
