"""irkit's process + socket snapshot vs `ps -eo ...` plus `ss -tanp`, with 2,000 live processes.

The benchmark, not the product, runs the host's ps and ss (procps, iproute2). Interleaved A/B
pairs, medians (benchmarks/abpairs.py): the whole irkit CLI (`irkit collect -c
sockets,processes`: interpreter start, the 0.5 s CPU sample and bundle writing included)
against ps then ss, both at irkit's own priority (nice 10, I/O idle). A third side runs the
two collectors in a bare interpreter without the CPU sample (`--in-process`), which is the
snapshot's own cost; ps has no sampling interval (its %CPU is a lifetime average).

    python benchmarks/processes_sockets.py [--processes 2000] [--repeat 5]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from abpairs import (
    IRKIT_ENDINGS,
    SAME_PRIORITY,
    Run,
    chain,
    interleaved,
    load,
    measure,
    publish,
    ratio,
    row,
)

REPO = Path(__file__).resolve().parent.parent


def in_process(out: Path) -> None:
    """The two collectors without the CPU sample, in this interpreter (run as a child)."""
    sys.path.insert(0, str(REPO))
    from irkit.collection import collect_to
    from irkit.collectors.registry import select_collectors
    from irkit.evidence.writer import EvidenceWriter
    from irkit.interrupts import InterruptGuard

    os.nice(10)
    guard = InterruptGuard()
    with out.open("wb") as sink:
        writer = EvidenceWriter(sink, command_line=["benchmark"], guard=guard)
        collect_to(
            writer,
            guard,
            select_collectors(["sockets", "processes"]),
            root=Path("/"),
            proc=Path("/proc"),
            options={"processes": {"cpu_interval": 0.0}},
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--in-process", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process is not None:
        in_process(args.in_process)
        return
    for tool in ("ps", "ss", "sleep", "nice", "ionice"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install procps iproute2 coreutils util-linux")
    children = [
        subprocess.Popen(["sleep", "900"], stdin=subprocess.DEVNULL) for _ in range(args.processes)
    ]
    try:
        total = len([p for p in os.listdir("/proc") if p.isdigit()])
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            env = dict(os.environ, PYTHONPATH=str(REPO))

            def baseline() -> Run:
                return chain(
                    measure([*SAME_PRIORITY, "ps", "-eo", "pid,ppid,user,etime,args"]),
                    measure([*SAME_PRIORITY, "ss", "-tanp"]),
                )

            def cli() -> Run:
                for name in ("cli.zip", "cli.zip.sha256"):
                    (out / name).unlink(missing_ok=True)
                command = [sys.executable, "-m", "irkit", "collect", "-q"]
                return measure(
                    [*command, "-c", "sockets,processes", "-o", str(out / "cli.zip")],
                    ok=IRKIT_ENDINGS,
                    env=env,
                )

            def bare() -> Run:
                return measure(
                    [sys.executable, __file__, "--in-process", str(out / "b.zip")], ok=IRKIT_ENDINGS
                )

            runs_cli, runs_base = interleaved(cli, baseline, args.repeat)
            runs_bare, runs_base2 = interleaved(bare, baseline, args.repeat)
            size = (out / "cli.zip").stat().st_size
    finally:
        for child in children:
            child.kill()
        for child in children:
            child.wait()
    result = {
        "processes_on_host": total,
        "repeat": args.repeat,
        "load_average_at_end": load(),
        "baseline": row("ps -eo pid,ppid,user,etime,args + ss -tanp (nice 10)", runs_base),
        "cli": row("irkit collect -c sockets,processes (0.5 s CPU sample)", runs_cli),
        "ratio_cli_over_baseline": ratio(runs_cli, runs_base),
        "in_process": row("the two collectors, no CPU sample (nice 10)", runs_bare),
        "ratio_in_process_over_baseline": ratio(runs_bare, runs_base2),
        "bundle_bytes": size,
    }
    publish("processes_sockets", result)


if __name__ == "__main__":
    main()
