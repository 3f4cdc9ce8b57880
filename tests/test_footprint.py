"""Issue 14, section 2: irkit is light on the host (priority, a CPU cap, its footprint in the
log) and does not fill the responder's disk with a memory image."""

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from irkit.evidence.reader import BundleReader
from irkit.footprint import CpuThrottle
from tests.conftest import irkit_env, mounted_tmpfs

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


@pytest.fixture
def tmpfs_larger_than_ram(tmp_path: Path) -> Iterator[Path]:
    """A real tmpfs sized at 4 TiB: its free space is RAM the host does not have."""
    with mounted_tmpfs(tmp_path / "shm", "4T") as where:
        yield where


def test_a_memory_image_into_ram_is_refused_before_the_oom_killer_wakes(
    run_irkit: RunIrkit, tmpfs_larger_than_ram: Path, tmp_path: Path
) -> None:
    """The tmpfs says 4 TiB free, but each byte written there is RAM: the room is what the host
    has available (psutil), less a reserve, which never holds an image of all of its RAM."""
    playbook = tmp_path / "image.yaml"
    playbook.write_text(IMAGE_PLAYBOOK)
    bundle = tmpfs_larger_than_ram / "case.zip"
    done = run_irkit("triage", "-p", playbook, "-o", bundle, "-q")
    assert done.returncode in (0, 1, 3), done.stderr.decode(errors="replace")
    with BundleReader(bundle) as reader:
        assert "memory/image.lime" not in reader.names()
        (refused,) = [e for e in reader.log_entries() if e["step"] == "image"]
    assert refused["outcome"] == "warning"
    assert f"{tmpfs_larger_than_ram} (memory-backed" in refused["error"]
    free_mib = int(refused["error"].split(" MiB free")[0].rsplit(" ", 1)[1])
    assert free_mib < psutil.virtual_memory().total >> 20


def test_the_footprint_defaults_are_in_the_help_and_the_log(
    run_irkit: RunIrkit, tmp_path: Path
) -> None:
    helped = run_irkit("triage", "--help", env=irkit_env(COLUMNS="200")).stdout.decode()
    assert "--nice" in helped and "[default: 10" in helped  # plain help adds the range
    assert "--io-idle" in helped and "[default: io-idle]" in helped
    assert "--max-cpu" in helped and "Default: no cap" in helped

    bundle = tmp_path / "case.zip"
    done = run_irkit("collect", "-c", "host", "-o", bundle, "-q")
    assert done.returncode in (0, 3), done.stderr.decode(errors="replace")
    with BundleReader(bundle) as reader:
        steps = {e["step"]: e for e in reader.log_entries()}
    assert steps["footprint"]["detail"] == {"nice": 10, "io_class": "idle", "max_cpu": None}
    usage = steps["footprint-end"]["detail"]
    assert usage["peak_rss_bytes"] > 0 and usage["cpu_seconds"] >= 0
    assert usage["bytes_written"] is None or usage["bytes_written"] >= 0
    assert usage["throttled_seconds"] is None


def test_max_cpu_holds_the_collection_back_and_says_so_in_the_log(
    run_irkit: RunIrkit, tmp_path: Path
) -> None:
    """5 % of one CPU: hashing and writing the bundle's members use more than that in some
    second, so the cap pauses them and the log counts it. --nice 0: at nice 10 on a machine
    busy with other work irkit could get less than 5 % and never meet the cap."""
    bundle = tmp_path / "case.zip"
    done = run_irkit("collect", "-c", "host", "-o", bundle, "-q", "--max-cpu", "5", "--nice", "0")
    assert done.returncode in (0, 3), done.stderr.decode(errors="replace")
    with BundleReader(bundle) as reader:
        steps = {e["step"]: e for e in reader.log_entries()}
    assert steps["footprint"]["detail"]["max_cpu"] == 5
    assert steps["footprint-end"]["detail"]["throttled_seconds"] > 0


def test_scan_and_memory_analyze_take_the_cap(run_irkit: RunIrkit, tmp_path: Path) -> None:
    (tmp_path / "rule.yar").write_text(
        'rule synthetic { strings: $a = "irkit-cap-test" condition: $a }'
    )
    (tmp_path / "sample").write_bytes(b"xx irkit-cap-test xx")
    done = run_irkit("scan", "-r", tmp_path / "rule.yar", "--max-cpu", "50", tmp_path / "sample")
    assert done.returncode == 1, done.stderr.decode(errors="replace")  # the hit is a finding
    assert "1 hit(s)" in done.stderr.decode()
    helped = run_irkit("memory", "analyze", "--help", env=irkit_env(COLUMNS="200")).stdout
    assert b"--max-cpu" in helped


class SimulatedClocks:
    """Wall and CPU clocks the test moves itself: a duty cycle is checked by its arithmetic,
    not by timing a real run on a shared machine (no timed assertions)."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def work(self, seconds: float) -> None:
        self.wall += seconds
        self.cpu += seconds

    def sleep(self, seconds: float) -> None:
        self.wall += seconds


@pytest.mark.parametrize("percent", [5, 25, 50, 100, 150])
def test_the_duty_cycle_holds_the_cpu_share_to_the_cap(percent: int) -> None:
    clocks = SimulatedClocks()
    cap = CpuThrottle(
        percent, clock=lambda: clocks.wall, cpu=lambda: clocks.cpu, sleep=clocks.sleep
    )
    for _ in range(2000):
        clocks.work(0.01)  # one chunk hashed or one buffer matched
        cap.pause()
    share = min(percent, 100) / 100  # one thread can use at most one CPU
    assert clocks.cpu / clocks.wall == pytest.approx(share, rel=0.05)
    assert cap.slept == pytest.approx(clocks.wall - clocks.cpu, rel=1e-6)


def test_a_long_pass_is_paid_back_in_full_a_short_pause_at_a_time() -> None:
    """One libyara pass over a large file overruns the share; the debt outlives the window."""
    clocks = SimulatedClocks()
    cap = CpuThrottle(20, clock=lambda: clocks.wall, cpu=lambda: clocks.cpu, sleep=clocks.sleep)
    pauses: list[float] = []
    clocks.work(4.0)
    while True:
        before = clocks.wall
        cap.pause()
        if clocks.wall == before:
            break
        pauses.append(clocks.wall - before)
    assert max(pauses) <= 0.5
    assert clocks.cpu / clocks.wall == pytest.approx(0.2)


def test_without_a_cap_nothing_pauses() -> None:
    """--max-cpu 100 on an idle single thread: never over its share, never paused."""
    clocks = SimulatedClocks()
    cap = CpuThrottle(100, clock=lambda: clocks.wall, cpu=lambda: clocks.cpu, sleep=clocks.sleep)
    for _ in range(100):
        clocks.work(0.01)
        clocks.sleep(0.01)  # waiting for the disk
        cap.pause()
    assert cap.slept == 0


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
