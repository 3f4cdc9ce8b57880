"""The bodyfile is read by Sleuth Kit's mactime (Debian's sleuthkit) and keeps every line."""

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from irkit.evidence.reader import BundleReader
from irkit.evidence.view import view_from_reader
from irkit.timeline import write_bodyfile
from irkit.timeline.formats import bodyfile_line, bodyfile_name
from tests.reportbundles import ANSI_NAME, PIPE_NAME, scenario_bundle


def test_names_escape_what_mactime_would_split_or_decode() -> None:
    assert bodyfile_name("/etc/a|b") == "/etc/a%7Cb"
    assert bodyfile_name("/etc/100%") == "/etc/100%25"
    assert bodyfile_name("/tmp/x\x1b[31m\n") == "/tmp/x\\x1b[31m\\x0a"
    assert bodyfile_name("/tmp/\udcff") == "/tmp/\\xff"


def test_a_line_has_the_eleven_fields_of_the_tsk3_format() -> None:
    record = {
        "path": "/etc/a|b",
        "mode": 0o100644,
        "uid": 0,
        "gid": 42,
        "size": 7,
        "atime": "2026-11-30T10:00:01.9Z",
        "mtime": "2026-11-30T10:00:00Z",
        "ctime": "bogus",
    }
    fields = bodyfile_line(record).split("|")
    assert fields == [
        "0",
        "/etc/a%7Cb",
        "0",
        "-rw-r--r--",
        "0",
        "42",
        "7",
        "1796032801",
        "1796032800",
        "0",
        "0",
    ]


@pytest.mark.skipif(shutil.which("mactime") is None, reason="mactime (Debian sleuthkit) absent")
def test_mactime_reads_the_bodyfile_without_errors_or_lost_lines(tmp_path: Path) -> None:
    bundle = scenario_bundle(tmp_path)
    with BundleReader(bundle) as reader:
        view = view_from_reader(reader)
    body = io.StringIO()
    count = write_bodyfile([view], body)
    assert count == len(view.of_type("file")) == 3
    bodyfile = tmp_path / "body.txt"
    bodyfile.write_text(body.getvalue(), encoding="utf-8")
    done = subprocess.run(
        ["mactime", "-b", str(bodyfile), "-d", "-y", "-z", "UTC"],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    rows = list(csv.reader(io.StringIO(done.stdout.decode())))
    names = {row[-1] for row in rows[1:]}
    assert "/etc/" + PIPE_NAME in names
    assert "/tmp/" + ANSI_NAME.replace("\x1b", "\\x1b").replace("\x07", "\\x07") in names
    assert "/etc/crontab" in names
    assert b"\x1b" not in done.stdout
