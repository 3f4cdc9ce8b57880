"""Birth times for file records, read with statx(2) through ctypes and checked against
coreutils' `stat %W` (its own statx call)."""

import os
import subprocess
from pathlib import Path

from irkit.evidence.statx import birth_time


def test_the_birth_time_is_what_stat_reports(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("x")
    shown = subprocess.run(
        ["stat", "-c", "%W", path], capture_output=True, text=True, check=True
    ).stdout.strip()
    fd = os.open(path, os.O_RDONLY)
    try:
        found = birth_time(fd)
    finally:
        os.close(fd)
    if shown in ("0", "-"):  # this filesystem does not keep birth times
        assert found is None
    else:
        assert found is not None and int(found) == int(shown)


def test_an_unusable_descriptor_has_no_birth_time(tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY)
    os.close(fd)
    assert birth_time(fd) is None
