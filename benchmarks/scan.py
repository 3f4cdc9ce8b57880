"""YARA scan benchmark: `irkit scan` against `yara -r -p 2` on the same >= 1 GiB tree.

Builds a deterministic tree of mixed files (generated text: logs, configs, scripts;
ELF binaries and libraries copied from this machine; incompressible data) with a few
planted synthetic samples, warms the page cache, checks that every side runs and finds the
planted samples, then times in rounds (benchmarks/abpairs.py: each side once per round, the
order reversed every other round): the read-only floor (`cat` of every file to /dev/null),
each yara CLI given (`yara -r -p 2 -N`; --yara is repeatable: Debian's 4.2.3 and a 4.5.4
built from source compare like for like with the libyara inside yara-python) and
`irkit scan --threads 2`, all with the shipped rule pack, files up to 1 GiB on every side,
at the same priority (nice 10, idle I/O). Wall and CPU time (user + system, wait4) are
reported as medians, and irkit's ratio to each yara as the median of the per-round ratios.

    python benchmarks/scan.py [--size-mib 1100] [--dir DIR] [--repeat 5]
                              [--yara yara --yara /var/tmp/yara-4.5/yara] [--write-docs]

Prints a Markdown table, writes benchmarks/out/scan.json, and with --write-docs
replaces the figures of the 'YARA scan' section of docs/performance.md.
"""

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from abpairs import (  # noqa: E402
    IRKIT_ENDINGS,
    SAME_PRIORITY,
    irkit_environment,
    load,
    measure,
    publish,
    ratio,
    rounds,
    row,
)
from yarasamples import SAMPLES  # noqa: E402

RULES = sorted((REPO / "yara").glob("*.yar"))
MAX_SIZE = 1 << 30
"""Files up to 1 GiB on every side (irkit --max-size, yara -z; yara has no default cap)."""
PLANTED = (
    "IRKIT_MinerConfig_XMRig_JSON",
    "IRKIT_Dropper_Cron_Download_Exec",
    "IRKIT_Miner_XMRig_ELF",
    "IRKIT_Tunnel_FRP_Config",
    "IRKIT_Miner_GPU_TRex",
)
WORDS = [
    "GET",
    "POST",
    "200",
    "404",
    "kernel",
    "systemd",
    "session",
    "opened",
    "closed",
    "user",
    "root",
    "www-data",
    "nginx",
    "connection",
    "from",
    "port",
    "ssh",
    "accepted",
    "publickey",
    "for",
    "invalid",
    "request",
    "upstream",
    "timeout",
    "INFO",
    "WARN",
    "ERROR",
    "debug",
    "config",
    "value",
    "enabled",
    "disabled",
    "true",
    "false",
    "listen",
    "server",
    "location",
    "proxy_pass",
    "include",
    "worker_processes",
    "events",
    "http",
]


def binaries(limit: int) -> list[Path]:
    """ELF files of this machine, sorted so the tree is the same on every run."""
    found: list[Path] = []
    total = 0
    for top in ("/usr/lib/x86_64-linux-gnu", "/usr/bin", "/usr/lib"):
        for root, dirs, files in os.walk(top):
            dirs.sort()
            for name in sorted(files):
                path = Path(root, name)
                try:
                    if path.is_symlink() or not path.is_file():
                        continue
                    size = path.stat().st_size
                    with path.open("rb") as handle:
                        if handle.read(4) != b"\x7fELF":
                            continue
                except OSError:
                    continue
                if 4096 <= size <= 32 << 20:
                    found.append(path)
                    total += size
                    if total >= limit:
                        return found
    return found


def text_block(rng: random.Random, size: int) -> bytes:
    lines = []
    length = 0
    while length < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 16)))
        line = f"2026-11-{rng.randint(1, 30):02d}T{rng.randint(0, 23):02d}:00:00Z {line}"
        lines.append(line)
        length += len(line) + 1
    return ("\n".join(lines) + "\n").encode()[:size]


def build_tree(base: Path, size: int, seed: int = 1) -> dict[str, int]:
    base = base / "tree"
    rng = random.Random(seed)
    counts = {"text": 0, "binary": 0, "data": 0, "planted": 0}
    written = 0
    block = text_block(rng, 4 << 20)
    noise = rng.randbytes(4 << 20)
    elf = binaries(size * 45 // 100)
    for index, source in enumerate(elf):
        target = base / "bin" / f"d{index % 50:02d}" / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written += target.stat().st_size
        counts["binary"] += 1
    index = 0
    while written < size:
        kind = "text" if rng.random() < 0.75 else "data"
        length = int(min(8 << 20, rng.lognormvariate(10.5, 1.6)))
        length = max(256, length)
        start = rng.randrange(0, (4 << 20) - min(length, 4 << 20) + 1)
        source = block if kind == "text" else noise
        data = (source[start:] + source)[:length]
        suffix = rng.choice((".log", ".conf", ".sh", ".json", ".txt")) if kind == "text" else ".bin"
        target = base / kind / f"d{index % 64:02d}" / f"f{index:06d}{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written += length
        counts[kind] += 1
        index += 1
    for number, rule in enumerate(PLANTED):
        target = base / "text" / f"d{number:02d}" / f"planted-{number}"
        target.write_bytes(SAMPLES[rule])
        counts["planted"] += 1
    counts["bytes"] = written
    return counts


def floor_command(tree: Path) -> list[str]:
    return [*SAME_PRIORITY, "sh", "-c", f"find '{tree}' -type f -exec cat {{}} + > /dev/null"]


def yara_command(binary: str, tree: Path) -> list[str]:
    rules = map(str, RULES)
    return [
        *SAME_PRIORITY,
        binary,
        "-r",
        "-p",
        "2",
        "-N",
        "-w",
        "-z",
        str(MAX_SIZE),
        *rules,
        str(tree),
    ]


def irkit_command(tree: Path) -> list[str]:
    return [
        *SAME_PRIORITY,
        sys.executable,
        "-m",
        "irkit",
        "scan",
        str(tree),
        "--rules",
        str(REPO / "yara"),
        "--threads",
        "2",
        "--max-size",
        str(MAX_SIZE),
        "--fail-on",
        "critical",
    ]


def yara_version(binary: str) -> str:
    return subprocess.run([binary, "-v"], capture_output=True, text=True, check=True).stdout.strip()


def hit_lines(command: list[str], env: dict[str, str]) -> int:
    """One untimed run: the lines of hits it prints (a side that finds nothing is broken)."""
    done = subprocess.run(command, capture_output=True, env=env, check=False)
    if done.returncode not in IRKIT_ENDINGS:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-500:]!r}")
    return sum(1 for line in done.stdout.decode(errors="replace").splitlines() if line.strip())


def run(tree: Path, yaras: list[str], repeat: int, env: dict[str, str]) -> dict[str, Any]:
    commands = {"floor": floor_command(tree)}
    for binary in yaras:
        commands[f"yara {yara_version(binary)}"] = yara_command(binary, tree)
    commands["irkit"] = irkit_command(tree)
    subprocess.run(floor_command(tree), check=True)  # warm the page cache
    hits = {name: hit_lines(command, env) for name, command in commands.items() if name != "floor"}
    runs = rounds(
        {
            name: partial(measure, command, IRKIT_ENDINGS, env=env)
            for name, command in commands.items()
        },
        repeat,
    )
    return {
        "commands": {name: " ".join(command) for name, command in commands.items()},
        "hit_lines": hits,
        "runs": {name: row(name, each) for name, each in runs.items()},
        "best_wall_s": {name: round(min(r.wall for r in each), 3) for name, each in runs.items()},
        "irkit_to": {
            name: ratio(runs["irkit"], runs[name]) for name in commands if name != "irkit"
        },
        "load": load(),
    }


LABELS = {"floor": "`cat` every file > /dev/null (floor)", "irkit": "`irkit scan --threads 2`"}


def markdown(result: dict[str, Any], counts: dict[str, int]) -> str:
    gib = counts["bytes"] / (1 << 30)
    rows = []
    for name, figures in result["runs"].items():
        what = LABELS.get(name, f"`{name}` (`-r -p 2 -N`)")
        against = result["irkit_to"].get(name)
        vs = f"{against['cpu']:.2f}x / {against['wall']:.2f}x" if against else "—"
        rows.append(
            f"| {what} | {figures['cpu_s']:.2f} s | {figures['wall_s']:.2f} s "
            f"| {gib * 1024 / figures['wall_s']:.0f} MiB/s | {vs} |"
        )
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {result['load']:.1f} at the end; tree of "
        f"{gib:.2f} GiB: {counts['binary']} ELF files copied from this machine, "
        f"{counts['text']} text, {counts['data']} random-data files, {counts['planted']} planted "
        f"samples. Page cache warm; medians of {len(result['runs']['irkit']['runs_wall_s'])} "
        "rounds.\n\n"
        "| what | CPU (user + sys) | wall | throughput (wall) | irkit / this: CPU / wall |\n"
        "|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )


def write_docs(section_body: str) -> None:
    docs = REPO / "docs" / "performance.md"
    text = docs.read_text() if docs.exists() else "# Performance\n"
    start = text.find("## YARA scan")
    marker = "<!-- yara-scan-figures -->"
    if start < 0:
        raise SystemExit("docs/performance.md has no '## YARA scan' section to fill")
    first = text.find(marker, start)
    second = text.find(marker, first + 1)
    if first < 0 or second < 0:
        raise SystemExit("the YARA scan section lacks its two figure markers")
    docs.write_text(text[: first + len(marker)] + "\n" + section_body + "\n" + text[second:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=1100)
    parser.add_argument("--dir", type=Path, help="Build the tree here (default: a temp dir).")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--yara", action="append", help="A yara CLI to compare with (repeatable; default: yara)."
    )
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    yaras = args.yara or ["yara"]
    for binary in yaras:
        if shutil.which(binary) is None:
            raise SystemExit(f"{binary}: no such yara CLI (apt-get install yara, or build one)")
    base = Path(tempfile.mkdtemp(prefix="irkit-scan-bench-", dir=args.dir))
    try:
        counts = build_tree(base, args.size_mib << 20)
        env = irkit_environment(REPO, base / "pycache")
        result = run(base / "tree", yaras, args.repeat, env)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    result["tree"] = counts
    publish("scan", result)
    body = markdown(result, counts)
    print(body)
    if args.write_docs:
        write_docs(body)


if __name__ == "__main__":
    main()
