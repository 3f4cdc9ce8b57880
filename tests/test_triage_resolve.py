"""A persistence target resolved with its folder remembered (`triage.resolve_target`) is what
`ctx.host_path` and `stat` made of it, on a host tree of folders, files, links (relative,
absolute, dangling, looping, to folders) and a FIFO, for paths with `.`, `..` and `//`."""

import os
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from irkit.collectors.base import Context
from irkit.triage import resolve_target
from tests.hostile.confine_helpers import host_context
from tests.hostile.fuzzing import fuzz_settings

NAMES = ["etc", "cron.d", "job", "up", "abs", "loop", "gone", "fifo", "dirlink", "dangling"]


def plant(root: Path) -> None:
    (root / "etc/cron.d").mkdir(parents=True)
    (root / "etc/cron.d/job").write_text("* * * * * root /etc/cron.d/up\n")
    (root / "etc/job").write_text("x\n")
    (root / "etc/cron.d/up").symlink_to("../job")
    (root / "etc/cron.d/abs").symlink_to("/etc/cron.d/job")
    (root / "etc/cron.d/loop").symlink_to("loop")
    (root / "etc/cron.d/dangling").symlink_to("/gone/x")
    (root / "etc/dirlink").symlink_to("cron.d")
    (root / "etc/up").symlink_to("/")
    os.mkfifo(root / "etc/cron.d/fifo")


def outcome(resolve: Any, *args: Any) -> tuple[str, Any]:
    """What file_targets does with a resolution: its target, or which way it is skipped."""
    try:
        real, info = resolve(*args)
    except (FileNotFoundError, NotADirectoryError):
        return "absent", None
    except (OSError, ValueError):
        return "skipped", None
    return "found", (real, info.st_ino, info.st_mode)


paths = st.lists(st.sampled_from([*NAMES, ".", "..", ""]), min_size=1, max_size=5).map(
    lambda parts: "/" + "/".join(parts)
)


@fuzz_settings(300)
@given(st.lists(paths, min_size=1, max_size=6))
@example(["/etc/cron.d/job", "/etc/cron.d/up", "/etc/dirlink/job", "/etc/up/etc/job"])
@example(["//etc/cron.d/job", "/etc/./cron.d/job", "/etc/gone/../cron.d/job", "/etc/cron.d/"])
def test_resolved_once_is_resolved_whole(tmp_path_factory: Any, targets: list[str]) -> None:
    tmp = tmp_path_factory.mktemp("host")
    plant(tmp / "root")
    with host_context(tmp / "out.zip", root=tmp / "root") as ctx:
        folders: dict[str, str] = {}
        for path in targets:
            found = outcome(resolve_target, ctx, path, folders)
            assert found == outcome(reference, ctx, path), path


def reference(ctx: Context, path: str) -> tuple[str, os.stat_result]:
    real = str(ctx.host_path(path))
    return real, os.stat(real)
