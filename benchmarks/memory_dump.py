"""Benchmark: `irkit memory dump` against gdb's `gcore` on the same 1 GiB process.

Run as root from the repository root:
`python benchmarks/memory_dump.py [--size-mib 1024] [--reserved-mib 0] [--runs 3]`.
Prints throughput (MiB/s) and peak RSS of each tool, and irkit's figures as ratios to gcore's
(best and median of the alternating runs). The target is a Python process holding SIZE MiB
of touched, non-zero pages, plus RESERVED MiB of private anonymous memory it never touched
(a reserved heap: irkit writes its zeros without reading it). Peak RSS is the tool's own
(wait4 rusage), not the target's. gcore also stops the target while it dumps.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
Cpu = dict[str, list[float]]
TARGET = """
import mmap, sys
size = int(sys.argv[1]) << 20
reserved = int(sys.argv[2]) << 20
untouched = reserved and mmap.mmap(-1, reserved, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
block = bytes(range(256)) * 16
held = bytearray(size)
for offset in range(0, size, 4096):
    held[offset:offset + 4096] = block
print("ready", flush=True)
sys.stdin.read()
"""


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KiB) and CPU seconds (user + system of the command's process
    tree: gcore's gdb included) of one child command. The page cache's dirty data is
    written out first (untimed): otherwise a tool pays for the writeback of the core the
    other one just wrote."""
    os.sync()
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(
            f"{command[0]} failed: {proc.stderr.read().decode()[-400:] if proc.stderr else ''}"
        )
    return elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def gcore_run(
    tmp: str, run: int, pid: int, results: dict[str, list[tuple[float, int, int]]], cpu: Cpu
) -> None:
    prefix = Path(tmp) / f"gcore-{run}"
    wall, rss, used = timed(["gcore", "-o", str(prefix), str(pid)])
    cpu["gcore"].append(used)
    produced = Path(f"{prefix}.{pid}")
    results["gcore"].append((wall, rss, produced.stat().st_size))
    produced.unlink()


@contextmanager
def target_process(size_mib: int, reserved_mib: int) -> Iterator[int]:
    """The process to dump, ready: its pid."""
    target = subprocess.Popen(
        [sys.executable, "-c", TARGET, str(size_mib), str(reserved_mib)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert target.stdout is not None
        target.stdout.readline()
        yield target.pid
    finally:
        target.kill()
        target.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--reserved-mib", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--dir",
        help="Where the cores go (default: $TMPDIR); /dev/shm measures the tools, not a disk",
    )
    args = parser.parse_args()
    if shutil.which("gcore") is None:
        raise SystemExit("gcore (gdb) not found: apt-get install gdb")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    results: dict[str, list[tuple[float, int, int]]] = {"irkit": [], "gcore": []}
    cpu: Cpu = {"irkit": [], "gcore": []}

    def irkit_run(
        tmp: str, run: int, pid: int, results: dict[str, list[tuple[float, int, int]]], cpu: Cpu
    ) -> None:
        core = Path(tmp) / f"irkit-{run}.core"
        total = (args.size_mib + args.reserved_mib + 1024) << 20  # past the dump_bytes cap
        command = [sys.executable, "-m", "irkit", "memory", "dump", "--pid", str(pid)]
        wall, rss, used = timed([*command, "-o", str(core), "--max-total", str(total)], env)
        cpu["irkit"].append(used)
        results["irkit"].append((wall, rss, core.stat().st_size))
        core.unlink()

    with tempfile.TemporaryDirectory(prefix="irkit-bench-", dir=args.dir) as tmp:
        for run in range(args.runs):
            # Alternate the order so neither tool always runs after the other's writeback;
            # a fresh target for each dump, because gcore's reads map the zero page into the
            # untouched memory, which then counts as touched.
            tools = (irkit_run, gcore_run) if run % 2 == 0 else (gcore_run, irkit_run)
            for tool in tools:
                with target_process(args.size_mib, args.reserved_mib) as pid:
                    tool(tmp, run, pid, results, cpu)
    best = {tool: min(runs) for tool, runs in results.items()}
    walls = {tool: statistics.median(w for w, _, _ in runs) for tool, runs in results.items()}
    print(
        f"target: {args.size_mib} MiB touched heap, {args.reserved_mib} MiB untouched;"
        f" best of {args.runs} runs"
    )
    for tool, (wall, rss, size) in best.items():
        print(
            f"{tool:6} {wall:6.2f} s  {size / wall / (1 << 20):8.0f} MiB/s"
            f"  peak RSS {rss / 1024:7.1f} MiB  core {size / (1 << 20):7.0f} MiB"
        )
    for tool, runs in results.items():
        print(f"{tool:6} runs (wall s): {', '.join(f'{w:.2f}' for w, _, _ in runs)}")
    (iw, irss, isize), (gw, grss, gsize) = best["irkit"], best["gcore"]
    print(
        f"irkit/gcore: throughput x{(isize / iw) / (gsize / gw):.2f}, wall x{iw / gw:.2f},"
        f" peak RSS x{irss / grss:.2f}; median wall x{walls['irkit'] / walls['gcore']:.2f}"
    )
    used = {tool: statistics.median(runs) for tool, runs in cpu.items()}
    print(
        f"median CPU (user + system): irkit {used['irkit']:.2f} s, gcore {used['gcore']:.2f} s,"
        f" x{used['irkit'] / used['gcore']:.2f}"
    )


if __name__ == "__main__":
    main()
