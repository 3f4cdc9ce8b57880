"""The bodyfile is read by Sleuth Kit's mactime (Debian's sleuthkit) and keeps every line."""

import csv
import io
import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from collecting import FAST, collect_bundle, exe_link, stop, wait_for
from hostfixtures import write_tree

from irkit.evidence.reader import BundleReader
from irkit.evidence.records import FileRecord
from irkit.evidence.view import view_from_reader
from irkit.timeline import build_timeline, write_bodyfile
from irkit.timeline.formats import bodyfile_line, bodyfile_name
from tests.reportbundles import ANSI_NAME, PIPE_NAME, scenario_bundle


def test_names_escape_what_mactime_would_split_or_decode() -> None:
    assert bodyfile_name("/etc/a|b") == "/etc/a%7Cb"
    assert bodyfile_name("/etc/100%") == "/etc/100%25"
    assert bodyfile_name("/tmp/x\x1b[31m\n") == "/tmp/x\\x1b[31m\\x0a"
    assert bodyfile_name("/tmp/\udcff") == "/tmp/\\xff"


def test_a_line_has_the_eleven_fields_of_the_tsk3_format() -> None:
    record = FileRecord(
        path="/etc/a|b",
        member="files/etc/a|b",
        collector="test",
        sha256=None,
        size=7,
        mode=0o100644,
        uid=0,
        gid=42,
        atime="2026-11-30T10:00:01.9Z",
        mtime="2026-11-30T10:00:00Z",
        ctime="bogus",
        crtime="2026-11-29T10:00:00Z",
    )
    fields = bodyfile_line(record, "web1").split("|")
    assert fields == [
        "0",
        "web1:/etc/a%7Cb",
        "0",
        "-rw-r--r--",
        "0",
        "42",
        "7",
        "1796032801",
        "1796032800",
        "-1",
        "1795946400",
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
    assert "miner-host:/etc/" + PIPE_NAME in names
    ansi = ANSI_NAME.replace("\x1b", "\\x1b").replace("\x07", "\\x07")
    assert "miner-host:/tmp/" + ansi in names
    assert "miner-host:/etc/crontab" in names
    assert b"\x1b" not in done.stdout


MTIME = 1577934244  # 2020-01-02T03:04:04Z (zip dates count in 2 s steps)


@pytest.fixture
def collected(tmp_path: Path) -> tuple[Path, Path, int, str]:
    """A real collection: a fixture root's crontab (mtime set to 2020) and a live process whose
    executable was deleted after it started (a copy of sleep, recovered through /proc/PID/exe)."""
    root = write_tree(tmp_path / "root", {"etc/crontab": "*/5 * * * * root /bin/true\n"})
    crontab = root / "etc" / "crontab"
    os.utime(crontab, (MTIME, MTIME))
    binary = tmp_path / "sleep-copy"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", binary)
    child = subprocess.Popen([binary, "120"])
    try:
        wait_for(lambda: exe_link(child.pid) == str(binary), "the copied sleep to start")
        binary.unlink()
        options = {**FAST, "persistence": {}}
        bundle = collect_bundle(
            tmp_path / "b.zip", "processes", "persistence", root=root, options=options
        )
    finally:
        stop(child)
    return bundle, crontab, child.pid, str(binary)


def _bodyfile(bundle: Path) -> list[list[str]]:
    with BundleReader(bundle) as reader:
        view = view_from_reader(reader)
    body = io.StringIO()
    write_bodyfile([view], body)
    return [line.split("|") for line in body.getvalue().splitlines()]


def test_members_keep_their_source_files_mtime(collected: tuple[Path, Path, int, str]) -> None:
    bundle, _, _, _ = collected
    with zipfile.ZipFile(bundle) as archive:
        info = archive.getinfo("files/etc/crontab")
        made = archive.getinfo("records/processes.jsonl")
    assert info.date_time == time.gmtime(MTIME)[:6]
    assert made.date_time > info.date_time  # a member irkit makes: when it was written


def test_bodyfile_has_real_birth_times_and_executable_paths(
    collected: tuple[Path, Path, int, str],
) -> None:
    bundle, crontab, pid, exe = collected
    lines = {fields[1].split(":", 1)[1]: fields for fields in _bodyfile(bundle)}
    host = _bodyfile(bundle)[0][1].split(":", 1)[0]
    assert host  # every line names the host it came from
    birth = subprocess.run(
        ["stat", "-c", "%W", crontab], capture_output=True, text=True, check=True
    ).stdout.strip()  # coreutils' statx, independent of irkit's ctypes call
    expected_birth = birth if birth not in ("0", "-") else "-1"
    crontab_line = lines["/etc/crontab"]
    assert (crontab_line[8], crontab_line[10]) == (str(MTIME), expected_birth)
    assert f"/proc/{pid}/exe" not in lines
    assert lines[f"{exe} (deleted)"][3] == "-rwxr-xr-x"


@pytest.mark.skipif(shutil.which("mactime") is None, reason="mactime (Debian sleuthkit) absent")
def test_mactime_shows_no_zero_dates(
    collected: tuple[Path, Path, int, str], tmp_path: Path
) -> None:
    bundle, _, _, exe = collected
    bodyfile = tmp_path / "body.txt"
    bodyfile.write_text("\n".join("|".join(f) for f in _bodyfile(bundle)) + "\n")
    done = subprocess.run(
        ["mactime", "-b", str(bodyfile), "-d", "-y", "-z", "UTC"], capture_output=True, check=False
    )
    assert done.returncode == 0 and done.stderr == b"", done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout.decode())))[1:]
    assert rows
    assert not [row for row in rows if row[0].startswith("0000-00-00")]
    assert any(
        row[0] == "2020-01-02T03:04:04Z" and row[-1].endswith(":/etc/crontab") for row in rows
    )
    assert any(row[-1].endswith(f":{exe} (deleted)") for row in rows)


def test_the_timeline_names_a_recovered_executable_by_its_path(
    collected: tuple[Path, Path, int, str],
) -> None:
    bundle, _, pid, exe = collected
    with BundleReader(bundle) as reader:
        view = view_from_reader(reader)
    messages = {e.message for e in build_timeline([view]) if e.event_type == "file"}
    assert f"file {exe} (deleted) (recovered from /proc/{pid}/exe)" in messages
