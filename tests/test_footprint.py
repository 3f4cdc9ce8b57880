"""Issue 14, section 2: irkit does not fill the responder's disk with a memory image."""

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

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
    assert "--nice" in helped and "[default: 10" in helped  # plain help adds the range
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


def test_a_dump_larger_than_the_outputs_free_space_is_cut_to_fit(
    run_irkit: RunIrkit, small_disk: Path, tmp_path: Path
) -> None:
    """A smaller scope instead of a full disk: the core is cut, named so, and the bundle seals."""
    hog = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; b = bytearray(b'x' * (48 << 20)); "
            "sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert hog.stdout is not None and hog.stdout.readline() == b"ready\n"
        playbook = tmp_path / "dump.yaml"
        playbook.write_text(
            "name: dump-only\ndescription: one core\n"
            f"collectors:\n  memory:\n    pids: [{hog.pid}]\n"
        )
        bundle = small_disk / "case.zip"
        done = run_irkit("triage", "-p", playbook, "-o", bundle, "-q")
    finally:
        hog.kill()
        hog.wait()
    assert done.returncode in (0, 1, 3), done.stderr.decode(errors="replace")
    with BundleReader(bundle) as reader:
        (dump,) = [r for r in reader.records("memory-dump") if r["pid"] == hog.pid]
    assert dump["partial"] is True
    assert "output free space" in dump["cap"]
    assert dump["bytes_read"] < 16 << 20
