"""A/B timing on a shared machine: interleaved pairs, medians, wall and CPU time, peak RSS.

The benchmark machines are shared (eight jobs on two cores), so one run of each side says
little. Each repetition runs A then B, the next B then A, so both see the same load; the
medians are reported, and CPU seconds (user + system, from wait4) beside the wall time,
because CPU time moves far less with the load than wall time does.
"""

import json
import os
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Run:
    wall: float
    cpu: float
    rss_kib: int
    """Peak RSS of the largest process of the run (ru_maxrss)."""


SAME_PRIORITY = ["nice", "-n", "10", "ionice", "-c3"]
"""irkit lowers itself to nice 10 and idle I/O; the baselines run at the same priority, so
both sides compete alike on a loaded machine."""

IRKIT_ENDINGS = (0, 1, 3)
"""Exit codes of an irkit run that did its work: clean, findings, incomplete (a shared
machine has processes whose /proc irkit may not read)."""


def measure(command: Sequence[str], ok: Sequence[int] = (0,), **kwargs: Any) -> Run:
    """Run one command to its end; its wall time, CPU time and peak RSS. An exit code not in
    `ok` stops the benchmark."""
    start = time.perf_counter()
    child = subprocess.Popen(
        list(command), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise SystemExit(f"{' '.join(command)} exited {code}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def chain(*runs: Run) -> Run:
    """Commands run one after the other as one side: times add, the peak is the largest."""
    return Run(sum(r.wall for r in runs), sum(r.cpu for r in runs), max(r.rss_kib for r in runs))


def rounds(sides: dict[str, Callable[[], Run]], repeat: int) -> dict[str, list[Run]]:
    """`repeat` rounds of every side, in the given order in one round and reversed in the
    next, so that no side always runs first (or right after the same neighbour)."""
    runs: dict[str, list[Run]] = {name: [] for name in sides}
    order = list(sides.items())
    for n in range(repeat):
        for name, side in order if n % 2 == 0 else reversed(order):
            runs[name].append(side())
    return runs


def interleaved(
    a: Callable[[], Run], b: Callable[[], Run], repeat: int
) -> tuple[list[Run], list[Run]]:
    """`repeat` pairs, alternating which side goes first."""
    runs = rounds({"a": a, "b": b}, repeat)
    return runs["a"], runs["b"]


def median(runs: Sequence[Run]) -> Run:
    return Run(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        int(statistics.median(r.rss_kib for r in runs)),
    )


def row(name: str, runs: Sequence[Run]) -> dict[str, Any]:
    m = median(runs)
    return {
        "what": name,
        "wall_s": round(m.wall, 3),
        "cpu_s": round(m.cpu, 3),
        "peak_rss_mib": round(m.rss_kib / 1024, 1),
        "runs_wall_s": [round(r.wall, 3) for r in runs],
    }


def ratio(a: Sequence[Run], b: Sequence[Run]) -> dict[str, float]:
    """Median of the per-pair ratios (each pair saw the same load)."""
    return {
        "wall": round(statistics.median(x.wall / y.wall for x, y in zip(a, b, strict=True)), 2),
        "cpu": round(statistics.median(x.cpu / y.cpu for x, y in zip(a, b, strict=True)), 2),
    }


def irkit_environment(tree: Path, pycache: Path | None, **extra: str) -> dict[str, str]:
    """The environment that runs the irkit of checkout `tree` with `python -m irkit`. An
    installed irkit runs from compiled modules (pip writes the .pyc files); a checkout under
    PYTHONDONTWRITEBYTECODE=1, as on the shared development machine, compiles every module on
    every start. With `pycache`, bytecode is kept there (nothing is written into the tree):
    the installed case; None compiles each time."""
    env = dict(os.environ, PYTHONPATH=str(tree) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env | extra


def load() -> float:
    """The one-minute load average when the runs ended, for the record."""
    return os.getloadavg()[0]


def publish(name: str, result: dict[str, Any]) -> None:
    """Print a benchmark's result and keep it as benchmarks/out/NAME.json."""
    text = json.dumps(result, indent=2)
    print(text)
    out_dir = Path(__file__).resolve().parent / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"{name}.json").write_text(text + "\n")
