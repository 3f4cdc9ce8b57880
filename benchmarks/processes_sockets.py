"""irkit's process + socket snapshot vs `ps -eo ...` plus `ss -tanp`, with 2,000 live processes.

The benchmark, not the product, runs the host's ps and ss (procps, iproute2). One run each;
it prints the times and the ratios. irkit is timed three ways: the whole CLI (interpreter
start and bundle writing included, default 0.5 s CPU sample), and in-process with and
without the CPU sampling interval, which ps does not have (its %CPU is a lifetime average).

    python benchmarks/processes_sockets.py [--processes 2000]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from irkit.collection import collect_to  # noqa: E402
from irkit.collectors.registry import select_collectors  # noqa: E402
from irkit.evidence.writer import EvidenceWriter  # noqa: E402
from irkit.interrupts import InterruptGuard  # noqa: E402


def timed(action: "object") -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def in_process(out: Path, cpu_interval: float) -> None:
    guard = InterruptGuard()
    with out.open("wb") as sink:
        writer = EvidenceWriter(sink, command_line=["benchmark"], guard=guard)
        collect_to(
            writer,
            guard,
            select_collectors(["sockets", "processes"]),
            root=Path("/"),
            proc=Path("/proc"),
            options={"processes": {"cpu_interval": cpu_interval}},
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=2000)
    args = parser.parse_args()
    for tool in ("ps", "ss", "sleep"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install procps iproute2 coreutils")
    children = [
        subprocess.Popen(["sleep", "900"], stdin=subprocess.DEVNULL) for _ in range(args.processes)
    ]
    try:
        total = len([p for p in os.listdir("/proc") if p.isdigit()])
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            env = dict(os.environ, PYTHONPATH=str(REPO))

            def baseline() -> None:
                subprocess.run(
                    ["ps", "-eo", "pid,ppid,user,etime,args"], check=True, stdout=subprocess.DEVNULL
                )
                subprocess.run(["ss", "-tanp"], check=True, stdout=subprocess.DEVNULL)

            def cli() -> None:
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "irkit",
                        "collect",
                        "-c",
                        "sockets,processes",
                        "-q",
                        "-o",
                        str(out / "cli.zip"),
                    ],
                    check=True,
                    env=env,
                    stderr=subprocess.DEVNULL,
                )

            base = timed(baseline)
            whole = timed(cli)
            sampled = timed(lambda: in_process(out / "a.zip", 0.5))
            unsampled = timed(lambda: in_process(out / "b.zip", 0.0))
            size = (out / "cli.zip").stat().st_size
    finally:
        for child in children:
            child.kill()
        for child in children:
            child.wait()
    print(f"processes on the host      {total}")
    print(f"ps -eo ... + ss -tanp      {base:.3f} s")
    print(f"irkit CLI (0.5 s CPU)      {whole:.3f} s   ratio {whole / base:.1f}x   bundle {size} B")
    print(f"irkit in-process (0.5 s)   {sampled:.3f} s   ratio {sampled / base:.1f}x")
    print(f"irkit in-process (no CPU)  {unsampled:.3f} s   ratio {unsampled / base:.1f}x")


if __name__ == "__main__":
    main()
