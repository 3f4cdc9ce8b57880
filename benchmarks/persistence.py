"""Persistence over 10,000 cron files: `irkit collect -c persistence` against `zip -1 -r` plus
`sha256sum` of the same tree, and `irkit triage` with that tree as its --root.

The tree is generated: /etc/cron.d/jobNNNNN, each with an environment line or two and one to
five jobs (about 40 MB on disk in all). irkit copies every file into the bundle with its
hash and parses every line into a record; the baseline archives the tree at deflate level 1
and hashes every file, which is the least a responder would do by hand. irkit lowers its own
priority (nice 10, I/O idle) as it does on a host; the baseline runs at the same priority
(`nice -n 10 ionice -c3`), so the two compete for the CPU alike on a loaded machine.

    python benchmarks/persistence.py [--files 10000] [--repeat 5] [--dir DIR] [--before DIR]

Interleaved A/B pairs (benchmarks/abpairs.py), medians; prints JSON and writes
benchmarks/out/persistence.json. `--before DIR` names another checkout of irkit (`git
worktree add DIR COMMIT`): its collect and triage run in pairs with this tree's, on the
same files, for a before/after row.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def build_tree(root: Path, files: int) -> None:
    """A host root whose /etc/cron.d holds `files` crontabs (deterministic content)."""
    cron = root / "etc/cron.d"
    cron.mkdir(parents=True)
    rng = random.Random(17)
    for n in range(files):
        lines = [f"# job {n}\nSHELL=/bin/sh\nPATH=/usr/local/bin:/usr/bin:/bin\n"]
        for j in range(rng.randint(1, 5)):
            lines.append(
                f"{rng.randint(0, 59)} {rng.randint(0, 23)} * * * root "
                f"/usr/local/bin/task{n}_{j} --opt {rng.random():.6f} >/dev/null 2>&1\n"
            )
        (cron / f"job{n:05d}").write_text("".join(lines))


def fresh(out: Path) -> Path:
    """No bundle nor sidecar left by the last run (irkit refuses to overwrite either)."""
    for path in (out, out.with_name(out.name + ".sha256")):
        path.unlink(missing_ok=True)
    return out


def before_and_after(
    before: Path, repeat: int, collect: Callable[[Path], Run], triage: Callable[[Path], Run]
) -> dict[str, Any]:
    """This tree's collect and triage against `before`'s, in interleaved pairs."""
    old, new = interleaved(lambda: collect(before), collect, repeat)
    old_triage, new_triage = interleaved(lambda: triage(before), triage, max(2, repeat // 2))
    return {
        "before": str(before),
        "collect_before": row("collect, before", old),
        "collect_after": row("collect, after", new),
        "collect_after_over_before": ratio(new, old),
        "triage_before": row("triage, before", old_triage),
        "triage_after": row("triage, after", new_triage),
        "triage_after_over_before": ratio(new_triage, old_triage),
        "load_average_after_pairs": load(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="where to build the tree")
    parser.add_argument("--before", type=Path, default=None, help="an older irkit checkout")
    args = parser.parse_args()
    for tool in ("zip", "sha256sum", "find", "xargs", "nice", "ionice"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install zip coreutils findutils util-linux")
    work = Path(tempfile.mkdtemp(prefix="irkit-bench-persistence-", dir=args.dir))
    root = work / "root"
    build_tree(root, args.files)
    irkit = [sys.executable, "-m", "irkit"]

    def collect(checkout: Path = REPO) -> Run:
        out = fresh(work / "collect.zip")
        command = [*irkit, "collect", "-q", "-c", "persistence", "--root", str(root)]
        env = dict(os.environ, PYTHONPATH=str(checkout))
        return measure([*command, "-o", str(out)], ok=IRKIT_ENDINGS, env=env, cwd=work)

    def baseline() -> Run:
        out = fresh(work / "baseline.zip")
        archive = measure([*SAME_PRIORITY, "zip", "-q", "-1", "-r", str(out), "."], cwd=root)
        hashes = measure(
            [*SAME_PRIORITY, "sh", "-c", "find . -type f -print0 | xargs -0 sha256sum >/dev/null"],
            cwd=root,
        )
        return chain(archive, hashes)

    def triage(checkout: Path = REPO) -> Run:
        out = fresh(work / "triage.zip")
        command = [*irkit, "triage", "-q", "--root", str(root), "-o", str(out)]
        env = dict(os.environ, PYTHONPATH=str(checkout))
        return measure(command, ok=IRKIT_ENDINGS, env=env, cwd=work)

    try:
        runs_irkit, runs_base = interleaved(collect, baseline, args.repeat)
        runs_triage = [triage() for _ in range(max(1, args.repeat // 2))]
        result = {
            "files": args.files,
            "tree_bytes": sum(p.stat().st_size for p in root.rglob("*") if p.is_file()),
            "repeat": args.repeat,
            "load_average_at_end": load(),
            "persistence": row("irkit collect -c persistence", runs_irkit),
            "baseline": row("zip -1 -r + sha256sum (nice 10, ionice idle)", runs_base),
            "ratio_irkit_over_baseline": ratio(runs_irkit, runs_base),
            "bundle_bytes": (work / "collect.zip").stat().st_size,
            "baseline_zip_bytes": (work / "baseline.zip").stat().st_size,
            "triage": row("irkit triage --root", runs_triage),
        }
        if args.before is not None:
            result.update(before_and_after(args.before, args.repeat, collect, triage))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    publish("persistence", result)


if __name__ == "__main__":
    main()
