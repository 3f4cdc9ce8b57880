"""Issue 14, section 2: irkit does not fill the responder's disk with a memory image."""

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from irkit.evidence.reader import BundleReader
from tests.conftest import irkit_env

RunIrkit = Callable[..., subprocess.CompletedProcess[bytes]]

IMAGE_PLAYBOOK = """\
name: image-only
description: a memory image and nothing else
collectors:
  memory:
    image: true
analysis:
  threshold: high
"""


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 16 MiB filesystem (tmpfs), far smaller than any machine's RAM; root only."""
    where = tmp_path / "small"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def test_a_memory_image_that_cannot_fit_is_refused_with_a_reason(
    run_irkit: RunIrkit, small_disk: Path, tmp_path: Path
) -> None:
    playbook = tmp_path / "image.yaml"
    playbook.write_text(IMAGE_PLAYBOOK)
    bundle = small_disk / "case.zip"
    done = run_irkit("triage", "-p", playbook, "-o", bundle)
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode in (0, 1, 3), stderr
    with BundleReader(bundle) as reader:
        assert "memory/image.lime" not in reader.names()
        (refused,) = [e for e in reader.log_entries() if e["step"] == "image"]
    assert refused["outcome"] == "warning"
    assert "MiB free" in refused["error"] and str(small_disk) in refused["error"]
    assert "no memory image: it needs up to" in stderr  # the responder sees it at once


def test_the_footprint_defaults_are_in_the_help_and_the_log(
    run_irkit: RunIrkit, tmp_path: Path
) -> None:
    helped = run_irkit("triage", "--help", env=irkit_env(COLUMNS="200")).stdout.decode()
    assert "--nice" in helped and "[default: 10]" in helped
    assert "--io-idle" in helped and "[default: io-idle]" in helped

    bundle = tmp_path / "case.zip"
    done = run_irkit("collect", "-c", "host", "-o", bundle, "-q")
    assert done.returncode in (0, 3), done.stderr.decode(errors="replace")
    with BundleReader(bundle) as reader:
        steps = {e["step"]: e for e in reader.log_entries()}
    assert steps["footprint"]["detail"] == {"nice": 10, "io_class": "idle"}
    usage = steps["footprint-end"]["detail"]
    assert usage["peak_rss_bytes"] > 0 and usage["cpu_seconds"] >= 0
    assert usage["bytes_written"] is None or usage["bytes_written"] >= 0
