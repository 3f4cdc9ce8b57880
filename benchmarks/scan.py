"""YARA scan benchmark: `irkit scan` against `yara -r -p 2` on the same >= 1 GiB tree.

Builds a deterministic tree of mixed files (generated text: logs, configs, scripts;
ELF binaries and libraries copied from this machine; incompressible data) with a few
planted synthetic samples, then times in one run, page cache warm for all three:
the read-only floor (`cat` of every file to /dev/null), `yara -r -p 2 -N` (Debian's yara
CLI) and `irkit scan --threads 2`, each with the shipped rule pack. Each is run
`--repeat` times, alternating; the best time and the median are reported.

    python benchmarks/scan.py [--size-mib 1100] [--dir DIR] [--repeat 3]

Prints a Markdown table, writes benchmarks/out/scan.json, and with --write-docs
replaces the 'YARA scan' section of docs/performance.md.
"""

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from abpairs import SAME_PRIORITY  # noqa: E402
from yarasamples import SAMPLES  # noqa: E402

RULES = sorted((REPO / "yara").glob("*.yar"))
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


def timed(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """Wall seconds and CPU seconds (user + system of the command and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def floor_command(tree: Path) -> list[str]:
    return [*SAME_PRIORITY, "sh", "-c", f"find '{tree}' -type f -exec cat {{}} + > /dev/null"]


def yara_command(tree: Path) -> list[str]:
    return [*SAME_PRIORITY, "yara", "-r", "-p", "2", "-N", "-w", *map(str, RULES), str(tree)]


def irkit_command(tree: Path) -> list[str]:
    return [
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
        "1G",
        "--fail-on",
        "critical",
    ]


def hits_of(done: subprocess.CompletedProcess[bytes]) -> int:
    lines = done.stdout.decode(errors="replace").splitlines()
    return sum(1 for line in lines if re.match(r"^(\S+)\s", line))


def run(tree: Path, repeat: int) -> dict[str, object]:
    commands = {
        "floor": floor_command(tree),
        "yara": yara_command(tree),
        "irkit": irkit_command(tree),
    }
    subprocess.run(floor_command(tree), check=True)  # warm the page cache
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    hits: dict[str, int] = {}
    for n in range(repeat):
        order = list(commands.items())
        for name, command in order if n % 2 == 0 else reversed(order):
            seconds, used, done = timed(command)
            times[name].append(seconds)
            cpu[name].append(used)
            if name != "floor":
                hits[name] = hits_of(done)
    best = {name: min(values) for name, values in times.items()}
    median = {name: statistics.median(values) for name, values in times.items()}
    cpu_median = {name: statistics.median(values) for name, values in cpu.items()}
    return {
        "best_s": best,
        "median_s": median,
        "cpu_median_s": cpu_median,
        "irkit_to_yara_cpu": cpu_median["irkit"] / cpu_median["yara"],
        "all_cpu_s": cpu,
        "irkit_to_yara_median": median["irkit"] / median["yara"],
        "all_s": times,
        "hit_lines": hits,
        "irkit_to_yara": best["irkit"] / best["yara"],
        "yara_to_floor": best["yara"] / best["floor"],
        "irkit_to_floor": best["irkit"] / best["floor"],
    }


def markdown(result: dict[str, object], counts: dict[str, int]) -> str:
    best, all_s, cpu = result["best_s"], result["all_s"], result["cpu_median_s"]
    assert isinstance(best, dict) and isinstance(all_s, dict) and isinstance(cpu, dict)
    gib = counts["bytes"] / (1 << 30)
    yara_version = subprocess.run(["yara", "-v"], capture_output=True, text=True).stdout.strip()
    rows = [
        ("`cat` every file > /dev/null (floor)", best["floor"], 1.0),
        (f"`yara -r -p 2 -N` ({yara_version})", best["yara"], best["yara"] / best["floor"]),
        ("`irkit scan --threads 2`", best["irkit"], best["irkit"] / best["floor"]),
    ]
    table = "\n".join(
        f"| {name} | {seconds:.2f} s | {gib / seconds * 1024:.0f} MiB/s | {ratio:.2f}x |"
        for name, seconds, ratio in rows
    )
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, tree of {gib:.2f} GiB: {counts['binary']} ELF files "
        f"copied from this machine, {counts['text']} text, {counts['data']} random-data files, "
        f"{counts['planted']} planted samples. Page cache warm, best of the runs.\n\n"
        "| what | time | throughput | ratio to floor |\n|---|---|---|---|\n"
        + table
        + f"\n\n**irkit / yara = {result['irkit_to_yara']:.2f}x** (best runs; "
        f"{result['irkit_to_yara_median']:.2f}x on the medians of {len(all_s['yara'])} runs); "
        f"CPU time (user + system, median): yara {cpu['yara']:.2f} s, irkit {cpu['irkit']:.2f} s, "
        f"**{result['irkit_to_yara_cpu']:.2f}x**\n"
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
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if shutil.which("yara") is None:
        raise SystemExit("the yara command-line scanner is not installed (apt-get install yara)")
    base = Path(tempfile.mkdtemp(prefix="irkit-scan-bench-", dir=args.dir))
    try:
        counts = build_tree(base, args.size_mib << 20)
        result = run(base, args.repeat)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    result["tree"] = counts
    out = REPO / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "scan.json").write_text(json.dumps(result, indent=2))
    body = markdown(result, counts)
    print(body)
    if args.write_docs:
        write_docs(body)


if __name__ == "__main__":
    main()
