"""Reading through a root prefix never escapes it, and special files are refused."""

import errno
import os
from pathlib import Path

import pytest

from irkit.confined import (
    NotRegularFile,
    open_dir_in_root,
    open_in_dir,
    open_regular,
    resolve_in_root,
)


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


def test_open_in_dir_opens_regular_files_by_name_and_nothing_else(tmp_path: Path) -> None:
    """A directory resolved once inside the root, then its files opened by name: a link, a
    FIFO or a name that walks out is refused, never followed."""
    root = tmp_path / "root"
    (root / "etc/cron.d").mkdir(parents=True)
    (root / "etc/cron.d/job").write_bytes(b"* * * * * root true\n")
    (root / "etc/cron.d/link").symlink_to("/etc/passwd")
    os.mkfifo(root / "etc/cron.d/fifo")
    (root / "etc/cron.daily").symlink_to("cron.d")  # the directory itself resolves inside
    fd = open_dir_in_root(root, "/etc/cron.daily")
    try:
        with open_in_dir(fd, "job", "/etc/cron.daily/job") as handle:
            assert handle.read() == b"* * * * * root true\n"
        with pytest.raises(OSError):
            open_in_dir(fd, "link", "/etc/cron.daily/link")
        with pytest.raises(NotRegularFile):
            open_in_dir(fd, "fifo", "/etc/cron.daily/fifo")
        for name in ("..", "../cron.d/job", ""):
            with pytest.raises(OSError) as refused:
                open_in_dir(fd, name, f"/etc/cron.daily/{name}")
            assert refused.value.errno == errno.EINVAL
    finally:
        os.close(fd)
