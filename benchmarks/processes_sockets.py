"""irkit's process + socket snapshot vs `ps -eo ...` plus `ss -tanp`, with 2,000 live processes.

The benchmark, not the product, runs the host's ps and ss (procps, iproute2). Interleaved A/B
pairs, medians (benchmarks/abpairs.py): the whole irkit CLI (`irkit collect -c
sockets,processes`: interpreter start, the 0.5 s CPU sample and bundle writing included)
against ps then ss, both at irkit's own priority (nice 10, I/O idle). A third side runs the
two collectors in a bare interpreter without the CPU sample (`--in-process`), which is the
snapshot's own cost; ps has no sampling interval (its %CPU is a lifetime average).
`--against DIR` adds pairs of this tree against another checkout of irkit (the CLI and the
bare collectors of each, interleaved), for a before/after figure of a change, and a warm
side: each child collects four times more in the same interpreter and reports the median
CPU of those collections alone (no interpreter start or imports: the collectors' own cost).

    python benchmarks/processes_sockets.py [--processes 2000] [--repeat 5] [--against DIR]
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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


WARM_TIMES = 4


def in_process(out: Path, repo: Path, times: int) -> None:
    """The two collectors of the checkout `repo` without the CPU sample, in this interpreter
    (run as a child). With `times` > 1 the collection is made again that many times and the
    median wall and CPU seconds of those are printed as JSON."""
    sys.path.insert(0, str(repo))
    from irkit.collection import collect_to
    from irkit.collectors.registry import select_collectors
    from irkit.evidence.writer import EvidenceWriter
    from irkit.interrupts import InterruptGuard

    os.nice(10)
    spent: list[tuple[float, float]] = []
    for _ in range(1 if times <= 1 else times + 1):
        wall, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
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
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        spent.append((time.perf_counter() - wall, cpu))
    if times > 1:
        rest = spent[1:]  # the first pays for lazy imports and cold caches
        walls, cpus = [w for w, _ in rest], [c for _, c in rest]
        print(json.dumps([statistics.median(walls), statistics.median(cpus)]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--against", type=Path, help="another irkit checkout to compare with")
    parser.add_argument("--in-process", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--repo", type=Path, default=REPO, help=argparse.SUPPRESS)
    parser.add_argument("--times", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process is not None:
        in_process(args.in_process, args.repo, args.times)
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

            def baseline() -> Run:
                return chain(
                    measure([*SAME_PRIORITY, "ps", "-eo", "pid,ppid,user,etime,args"]),
                    measure([*SAME_PRIORITY, "ss", "-tanp"]),
                )

            def cli(repo: Path = REPO) -> Run:
                for name in ("cli.zip", "cli.zip.sha256"):
                    (out / name).unlink(missing_ok=True)
                command = [sys.executable, "-m", "irkit", "collect", "-q"]
                return measure(
                    [*command, "-c", "sockets,processes", "-o", str(out / "cli.zip")],
                    ok=IRKIT_ENDINGS,
                    env=dict(os.environ, PYTHONPATH=str(repo)),
                    cwd=repo,  # `-m` puts the working directory first on sys.path
                )

            def bare(repo: Path = REPO) -> Run:
                command = [sys.executable, __file__, "--in-process", str(out / "b.zip")]
                return measure([*command, "--repo", str(repo)], ok=IRKIT_ENDINGS)

            def warm(repo: Path) -> Run:
                command = [sys.executable, __file__, "--in-process", str(out / "w.zip")]
                command += ["--repo", str(repo), "--times", str(WARM_TIMES)]
                wall, cpu = json.loads(subprocess.run(command, capture_output=True).stdout)
                return Run(wall, cpu, 0)

            runs_cli, runs_base = interleaved(cli, baseline, args.repeat)
            size = (out / "cli.zip").stat().st_size
            runs_bare, runs_base2 = interleaved(bare, baseline, args.repeat)
            if args.against is not None:
                other = args.against.resolve()
                cli_pairs = interleaved(cli, lambda: cli(other), args.repeat)
                bare_pairs = interleaved(bare, lambda: bare(other), args.repeat)
                warm_pairs = interleaved(lambda: warm(REPO), lambda: warm(other), args.repeat)
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
    if args.against is not None:
        result["against"] = {
            "checkout": str(other),
            "cli": row("irkit collect -c sockets,processes of that checkout", cli_pairs[1]),
            "cli_this_tree": row("the same, this tree", cli_pairs[0]),
            "ratio_cli_this_over_that": ratio(*cli_pairs),
            "in_process": row("its two collectors, no CPU sample", bare_pairs[1]),
            "in_process_this_tree": row("the same, this tree", bare_pairs[0]),
            "ratio_in_process_this_over_that": ratio(*bare_pairs),
            "warm": row(f"its collectors, warm interpreter, median of {WARM_TIMES}", warm_pairs[1]),
            "warm_this_tree": row("the same, this tree", warm_pairs[0]),
            "ratio_warm_this_over_that": ratio(*warm_pairs),
        }
    publish("processes_sockets", result)


if __name__ == "__main__":
    main()
