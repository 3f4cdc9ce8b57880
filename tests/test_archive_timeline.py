"""`irkit timeline --per-host`: many bundles into one Timesketch timeline per host."""

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from irkit.commands.timeline import host_file_name
from tests.archivebundles import HOSTILE_HOST, Fleet, write_host_bundle

Run = Callable[..., subprocess.CompletedProcess[bytes]]


def test_one_timeline_per_host_each_row_naming_its_host(tmp_path: Path, run_irkit: Run) -> None:
    fleet = Fleet(hosts=42)
    bundles = [write_host_bundle(tmp_path / f"b{n}.zip", fleet, n) for n in (0, 1, fleet.hostile)]
    out = tmp_path / "timelines"
    out.mkdir()
    result = run_irkit("timeline", *bundles, "--per-host", "-o", out)
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in out.iterdir())
    hostile_file = host_file_name(HOSTILE_HOST, "jsonl")
    assert files == sorted(["host-00.jsonl", "host-01.jsonl", hostile_file])
    assert "/" not in hostile_file and not hostile_file.startswith(".")
    for name, hostname in (("host-00.jsonl", "host-00"), (hostile_file, HOSTILE_HOST)):
        rows = [json.loads(line) for line in (out / name).read_text().splitlines()]
        assert rows and {row["host"] for row in rows} == {hostname}
        assert all({"message", "datetime", "timestamp_desc"} <= row.keys() for row in rows)
    again = run_irkit("timeline", *bundles, "--per-host", "-o", out)
    assert again.returncode == 2 and b"--overwrite" in again.stderr


def test_per_host_needs_a_directory(tmp_path: Path, run_irkit: Run) -> None:
    bundle = write_host_bundle(tmp_path / "b.zip", Fleet(), 0)
    result = run_irkit("timeline", bundle, "--per-host", "-o", tmp_path / "missing")
    assert result.returncode == 2 and b"--per-host needs -o DIR" in result.stderr


def test_host_file_names_are_plain_and_distinct() -> None:
    assert host_file_name("web-01.example.org", "csv") == "web-01.example.org.csv"
    assert host_file_name("../etc", "jsonl") != host_file_name("__etc", "jsonl")
    assert host_file_name("..", "jsonl").startswith("host-")
    assert host_file_name("a\udcffb", "jsonl").startswith("a_b-")
