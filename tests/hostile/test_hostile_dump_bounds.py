"""Issue 10, point 9 (memory): a process core is cut at `dump_bytes`, all cores of a run at
`dumps_total_bytes`, and a cut dump is partial with the cap named.

Before the fix a 64 GiB sparse mapping was dumped whole (25 GiB in 100 s). Here a real
process maps 8 GiB of sparse anonymous memory (MAP_NORESERVE, two pages touched).
"""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from irkit.memory.dump import DumpBudget, plan_dump
from tests.hostile.truncate_helpers import Bundle, write_playbook

MIB = 1 << 20
SPARSE = """
import mmap, sys, time
NORESERVE = getattr(mmap, "MAP_NORESERVE", 0x4000)  # Linux's value; mmap names it from 3.12
m = mmap.mmap(-1, 8 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | NORESERVE)
m[0] = 1
m[(4 << 30) + 4096] = 1
print("ready", flush=True)
time.sleep(300)
"""


@pytest.fixture
def sparse() -> Iterator[list[subprocess.Popen[bytes]]]:
    children = [
        subprocess.Popen([sys.executable, "-c", SPARSE], stdout=subprocess.PIPE) for _ in range(2)
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        yield children
    finally:
        for child in children:
            child.kill()
            child.wait()


def test_dumps_are_cut_at_their_caps_and_say_so(run_irkit, tmp_path: Path, sparse) -> None:  # type: ignore[no-untyped-def]
    first, second = (child.pid for child in sparse)
    playbook = write_playbook(
        tmp_path / "dump.yaml",
        collectors=f"  memory:\n    pids: [{first}, {second}]\n",
        limits=f"  dump_bytes: {8 * MIB}\n  dumps_total_bytes: {12 * MIB}\n",
    )
    out = tmp_path / "b.zip"
    done = run_irkit("triage", "-p", playbook, "-o", out, "--root", tmp_path, "--proc", "/proc")
    assert done.returncode in (0, 1, 3), done.stderr.decode()
    bundle = Bundle(out)
    one = bundle.one("memory-dump", pid=first)
    two = bundle.one("memory-dump", pid=second)
    assert one["partial"] is True and one["cap"] == "dump_bytes"
    assert two["partial"] is True and two["cap"] == "dumps_total_bytes"
    assert one["bytes_read"] <= 8 * MIB
    assert one["bytes_read"] + two["bytes_read"] <= 12 * MIB
    for dump in (one, two):
        assert bundle.member_entry(dump["member"])["size"] < 8 * MIB + MIB  # + the ELF header
    capped = [e for e in bundle.log if e["step"] == "dump-process" and e["detail"].get("cap")]
    assert {e["detail"]["pid"] for e in capped} == {first, second}
    assert all(e["outcome"] == "partial" for e in capped)


def test_a_sparse_region_larger_than_the_cap_is_cut_not_dumped_whole() -> None:
    maps = (
        b"00400000-00401000 r-xp 00000000 08:01 1 /bin/x\n"
        b"7f0000000000-7f0200000000 rw-p 00000000 00:00 0 \n"
        b"7f0300000000-7f0300001000 rw-p 00000000 00:00 0 \n"
    )
    plan = plan_dump(1, maps, DumpBudget(max_total=16 * MIB, total_name="dump_bytes"))
    assert [take for _, take in plan.regions] == [0x1000, 16 * MIB - 0x1000]
    assert plan.capped == ["dump_bytes"] and plan.total == 16 * MIB
    assert [region.start for region, _ in plan.skipped] == [0x7F0300000000]
