"""irkit's start-up: `irkit --help`, `irkit scan EMPTY_DIR` and `irkit memory dump --help`
against `python -c pass`, in interleaved pairs (benchmarks/abpairs.py).

Each command runs --runs times, each time beside a bare interpreter; the script prints the
medians of wall and CPU (user + system) time and of the per-pair CPU ratio. CPU time is the
steadier figure on a shared machine: the wall time there is mostly waiting for a core. `scan`
is timed with the compiled-rule cache warm (the usual case on an analyst's machine) and off.

Bytecode: by default kept in a temporary PYTHONPYCACHEPREFIX, as an installed irkit has it;
--no-bytecode-cache compiles every module on every start, as a checkout does under
PYTHONDONTWRITEBYTECODE=1 (abpairs.irkit_environment). --against DIR times another checkout
(a `git archive` of main, say) in pairs with this one: the before and after of a change.

    python benchmarks/startup.py [--runs 11] [--against DIR] [--no-bytecode-cache]
"""

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from abpairs import Run, interleaved, irkit_environment, load, measure, publish, ratio, row

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--against", type=Path, help="Another checkout, timed in pairs.")
    parser.add_argument("--no-bytecode-cache", action="store_true")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        empty = work / "empty"
        empty.mkdir()
        pycache = None if args.no_bytecode_cache else work / "pycache"
        cache = {"XDG_CACHE_HOME": str(work / "cache")}
        commands = {
            "irkit --help": (["--help"], {}),
            "irkit scan EMPTY (rule cache warm)": (["scan", str(empty)], cache),
            "irkit scan EMPTY (no rule cache)": (["scan", str(empty)], {"IRKIT_RULE_CACHE": "0"}),
            "irkit memory dump --help": (["memory", "dump", "--help"], {}),
        }

        def run(tree: Path, name: str) -> Run:
            words, extra = commands[name]
            env = irkit_environment(tree, pycache, **extra)
            return measure([python, "-m", "irkit", *words], env=env, cwd=work)

        def bare() -> Run:
            return measure([python, "-c", "pass"], env=irkit_environment(REPO, pycache), cwd=work)

        trees = [REPO] + ([args.against.resolve()] if args.against else [])
        for tree in trees:  # writes the bytecode and the rule cache; checks every command runs
            for name in commands:
                run(tree, name)
        bare()
        result: dict[str, Any] = {"runs": args.runs, "bytecode_cached": pycache is not None}
        for name in commands:
            mine, base = interleaved(lambda n=name: run(REPO, n), bare, args.runs)
            entry = {"this": row(name, mine), "python -c pass": row("python -c pass", base)}
            entry["ratio_to_python"] = ratio(mine, base)
            if args.against:
                again, other = interleaved(
                    lambda n=name: run(REPO, n), lambda n=name: run(args.against, n), args.runs
                )
                entry["against"] = row(f"{name} ({args.against})", other)
                entry["this_in_pairs_with_against"] = row(name, again)
                entry["ratio_to_against"] = ratio(again, other)
            result[name] = entry
        result["load"] = load()
    publish("startup", result)
    header = f"\n{'command (CPU s, medians)':<36} {'this':>6} {'x python':>9}"
    print(header + ("  against  this/against" if args.against else ""))
    for name in commands:
        entry = result[name]
        line = f"{name:<36} {entry['this']['cpu_s']:6.3f} {entry['ratio_to_python']['cpu']:9.2f}"
        if args.against:
            line += f"  {entry['against']['cpu_s']:7.3f}  {entry['ratio_to_against']['cpu']:.2f}"
        print(line)
    bare_cpu = result["irkit --help"]["python -c pass"]["cpu_s"]
    print(f"python -c pass: {bare_cpu:.3f} s CPU; load {result['load']:.1f}")


if __name__ == "__main__":
    main()
