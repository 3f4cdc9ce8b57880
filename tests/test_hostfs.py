"""Reading through a root prefix never escapes it, and special files are refused."""

import os
from pathlib import Path

import pytest

from irkit.hostfs import NotRegularFile, open_regular, resolve_in_root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "usr/share/zoneinfo").mkdir(parents=True)
    (root / "usr/share/zoneinfo/UTC").write_text("inside")
    os.symlink("/usr/share/zoneinfo/UTC", root / "etc/localtime")
    os.symlink("../../../../../../etc/passwd", root / "etc/climb")
    os.symlink("loop", root / "etc/loop")
    return root


def test_absolute_link_is_reanchored_at_the_root(root: Path) -> None:
    assert resolve_in_root(root, "/etc/localtime") == root / "usr/share/zoneinfo/UTC"


def test_dotdot_link_stops_at_the_root(root: Path) -> None:
    assert resolve_in_root(root, "/etc/climb") == root / "etc/passwd"


def test_link_loop_is_an_error(root: Path) -> None:
    with pytest.raises(OSError):
        resolve_in_root(root, "/etc/loop")


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFile):
        open_regular(fifo)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        open_regular(tmp_path)
