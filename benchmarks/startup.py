"""irkit's start-up: `irkit --help` and `irkit scan EMPTY_DIR` against `python -c pass`.

Each command runs --runs times; the script prints the median wall and CPU (user + system)
time and each one's ratio to the bare interpreter. CPU time is the steadier figure on a
shared machine: the wall time there is mostly waiting for a core. `scan` is timed with the
compiled-rule cache warm (the usual case on an analyst's machine) and off.

    python benchmarks/startup.py [--runs 21]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def measure(command: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    irkit = [sys.executable, "-m", "irkit"]
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        empty.mkdir()
        cached = dict(env, XDG_CACHE_HOME=str(Path(tmp) / "cache"))
        subprocess.run([*irkit, "scan", str(empty)], env=cached, capture_output=True)  # warm it
        rows = [
            ("python -c pass", [sys.executable, "-c", "pass"], env),
            ("irkit --help", [*irkit, "--help"], env),
            ("irkit scan EMPTY (rule cache warm)", [*irkit, "scan", str(empty)], cached),
            (
                "irkit scan EMPTY (no rule cache)",
                [*irkit, "scan", str(empty)],
                dict(env, IRKIT_RULE_CACHE="0"),
            ),
        ]
        results = [(name, *measure(command, args.runs, e)) for name, command, e in rows]
    base_wall, base_cpu = results[0][1], results[0][2]
    print(f"{'command':<38} {'wall s':>7} {'x':>6} {'cpu s':>7} {'x':>6}  ({args.runs} runs)")
    for name, wall, cpu in results:
        print(f"{name:<38} {wall:7.3f} {wall / base_wall:6.1f} {cpu:7.3f} {cpu / base_cpu:6.1f}")


if __name__ == "__main__":
    main()
