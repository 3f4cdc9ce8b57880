"""The evidence archive through the real CLI: 50 bundles indexed into one DuckDB file, then the
named questions (the acceptance test of issue 15)."""

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.archivebundles import (
    CRON_LINE,
    HOSTILE_HOST,
    MINER_SHA256,
    POOL_ADDRESS,
    POOL_HOST,
    WALLET,
    Fleet,
    write_fleet,
    write_host_bundle,
)
from tests.conftest import irkit_command, irkit_env

pytest.importorskip("duckdb")
FLEET = Fleet()
Run = Callable[..., subprocess.CompletedProcess[bytes]]


def irkit(*args: str | os.PathLike[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(irkit_command(*args), capture_output=True, env=irkit_env(), check=False)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The fleet written and indexed once with two workers: (directory, archive, stderr)."""
    base = tmp_path_factory.mktemp("archive")
    write_fleet(base / "fleet", FLEET)
    archive = base / "case.duckdb"
    result = irkit("archive", "index", base / "fleet", "-o", archive, "--jobs", "2")
    assert result.returncode == 1, result.stderr  # one bundle is not intact
    return base / "fleet", archive, result.stderr.decode()


def rows(*args: str | os.PathLike[str]) -> list[dict[str, Any]]:
    result = irkit(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def hostnames(ns: set[int] | frozenset[int]) -> list[str]:
    return sorted(FLEET.hostname(n) for n in ns)


def test_hosts_by_wallet_lists_exactly_the_hosts_that_carry_it(
    indexed: tuple[Path, Path, str],
) -> None:
    _, archive, _ = indexed
    found = rows("archive", "hosts", archive, "--ioc", WALLET)
    assert [row["host"] for row in found] == hostnames(FLEET.wallet_hosts)
    trusted = {row["host"]: row["trusted"] for row in found}
    assert trusted.pop(FLEET.hostname(FLEET.tampered)) is False
    assert set(trusted.values()) == {True}
    assert all(row["seen_as"] == "ioc wallet" for row in found)
    intact = rows("archive", "hosts", archive, "--ioc", WALLET, "--intact-only")
    assert [row["host"] for row in intact] == hostnames(FLEET.wallet_hosts - {FLEET.tampered})
    miners = hostnames(FLEET.wallet_hosts | FLEET.other_wallet_hosts)
    by_cron = rows("archive", "hosts", archive, "--ioc", CRON_LINE)
    assert [(r["host"], r["seen_as"]) for r in by_cron] == [(h, "persistence cron") for h in miners]
    by_file = rows("archive", "hosts", archive, "--ioc", "crontab")
    assert [r["host"] for r in by_file] == miners
    by_address = rows("archive", "hosts", archive, "--ioc", POOL_ADDRESS)
    assert [r["host"] for r in by_address] == hostnames(FLEET.pool_hosts - {FLEET.tampered})


def test_the_tampered_bundle_is_not_intact_and_the_incomplete_one_is_named(
    indexed: tuple[Path, Path, str],
) -> None:
    _, archive, stderr = indexed
    tampered = FLEET.hostname(FLEET.tampered)
    assert f"NOT INTACT {indexed[0]}/sweep-1/{tampered}.zip" in " ".join(stderr.split())
    assert "50 indexed" in stderr and "1 not intact" in stderr and "1 incomplete" in stderr
    problems = {row["host"]: row for row in rows("archive", "problems", archive)}
    assert set(problems) == {tampered, FLEET.hostname(FLEET.incomplete)}
    assert problems[tampered]["intact"] is False
    assert any("sha256 differs" in p for p in problems[tampered]["first_problems"])
    incomplete = problems[FLEET.hostname(FLEET.incomplete)]
    assert incomplete["intact"] is True and incomplete["complete"] is False
    assert incomplete["incomplete_reason"] == "interrupted by SIGTERM"


def test_prevalence_seen_executables_and_shared_persistence(
    indexed: tuple[Path, Path, str],
) -> None:
    _, archive, _ = indexed
    prevalence = {row["value"]: row for row in rows("archive", "prevalence", archive)}
    assert prevalence[WALLET]["hosts"] == len(FLEET.wallet_hosts)
    assert prevalence[POOL_HOST]["hosts"] == len(FLEET.pool_hosts)
    assert prevalence[WALLET]["trusted"] is False  # one of its rows is from the tampered bundle
    seen = rows("archive", "seen", archive, "--ioc", WALLET)
    assert len(seen) == 1
    first, last = min(FLEET.wallet_hosts), max(FLEET.wallet_hosts)
    assert seen[0]["first_seen"] == FLEET.collected(first)
    assert (seen[0]["first_host"], seen[0]["last_host"]) == (
        FLEET.hostname(first),
        FLEET.hostname(last),
    )
    executables = rows("archive", "executables", archive, "--sha256", MINER_SHA256.upper())
    miners = (FLEET.wallet_hosts | FLEET.other_wallet_hosts) - {FLEET.tampered}
    assert executables[0]["host_list"] == hostnames(miners)
    hunts = "SELECT host, rule, target FROM hunts ORDER BY host"
    assert rows("archive", "query", archive, hunts) == [
        {"host": FLEET.hostname(n), "rule": "XMRig_Strings", "target": "/tmp/.x/kswapd0"}
        for n in sorted(FLEET.yara_hosts)
    ]
    shared = rows("archive", "persistence", archive)
    assert [(r["command"], r["hosts"]) for r in shared] == [
        (CRON_LINE, len(FLEET.wallet_hosts | FLEET.other_wallet_hosts))
    ]


def test_query_table_json_and_csv_and_read_only(indexed: tuple[Path, Path, str]) -> None:
    _, archive, _ = indexed
    sql = "SELECT count(DISTINCT host) AS hosts FROM bundles"
    assert rows("archive", "query", archive, sql) == [{"hosts": FLEET.hosts}]
    csv_out = irkit("archive", "query", archive, sql, "--csv")
    assert csv_out.stdout.decode().splitlines() == ["hosts", str(FLEET.hosts)]
    table = irkit("archive", "query", archive, "SELECT host FROM bundles WHERE host LIKE '<%'")
    assert table.returncode == 0
    assert HOSTILE_HOST in table.stdout.decode()
    refused = irkit("archive", "query", archive, "DELETE FROM bundles")
    assert refused.returncode == 2
    assert (
        refused.stderr.decode().startswith("error:") and "Traceback" not in refused.stderr.decode()
    )


def test_reindexing_adds_only_new_bundles(tmp_path: Path, indexed: tuple[Path, Path, str]) -> None:
    fleet_dir, archive, _ = indexed
    copy = tmp_path / "case.duckdb"
    copy.write_bytes(archive.read_bytes())
    late = Fleet(hosts=51)
    write_host_bundle(fleet_dir.parent / "late.zip", late, 50)
    again = irkit("archive", "index", fleet_dir, fleet_dir.parent / "late.zip", "-o", copy)
    err = " ".join(again.stderr.decode().split())
    assert again.returncode == 0, err
    assert "1 indexed" in err and "50 already indexed" in err
    assert rows("archive", "query", copy, "SELECT count(*) AS n FROM bundles") == [{"n": 51}]


def test_intact_only_loads_no_records_of_the_tampered_bundle(tmp_path: Path) -> None:
    fleet = Fleet(hosts=8)
    write_fleet(tmp_path / "fleet", fleet)
    archive = tmp_path / "intact.duckdb"
    result = irkit(
        "archive", "index", tmp_path / "fleet", "-o", archive, "-j", "1", "--intact-only"
    )
    assert result.returncode == 1, result.stderr
    count = "SELECT count(*) AS n FROM records WHERE NOT trusted"
    assert rows("archive", "query", archive, count) == [{"n": 0}]
    untrusted = "SELECT host, intact FROM bundles WHERE NOT intact"
    assert rows("archive", "query", archive, untrusted) == [
        {"host": fleet.hostname(fleet.tampered), "intact": False}
    ]


def test_files_that_are_no_bundle_are_indexed_as_refused_and_links_skipped(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "junk.zip").write_bytes(b"not a zip at all")
    (tmp_path / "in" / "link.zip").symlink_to("/etc/passwd")
    (tmp_path / "in" / "sealed.zip.age").write_bytes(b"age-encryption.org/v1\n")
    archive = tmp_path / "junk.duckdb"
    result = irkit("archive", "index", tmp_path / "in", "-o", archive)
    err = " ".join(result.stderr.decode().split())
    assert result.returncode == 1, err
    assert "REFUSED" in err and "link.zip: not a regular file" in err
    assert "sealed.zip.age: encrypted; decrypt it to index it" in err
    assert rows(
        "archive", "query", archive, "SELECT intact, refused IS NOT NULL AS r FROM bundles"
    ) == [{"intact": False, "r": True}]
    again = " ".join(
        irkit("archive", "index", tmp_path / "in", "-o", archive).stderr.decode().split()
    )
    assert "0 indexed" in again and "1 already indexed" in again


def test_archive_errors_are_one_line_exit_2(tmp_path: Path, run_irkit: Run) -> None:
    missing = run_irkit("archive", "hosts", tmp_path / "none.duckdb")
    assert missing.returncode == 2 and b"no such archive" in missing.stderr
    (tmp_path / "not.duckdb").write_bytes(b"x" * 4096)
    wrong = run_irkit("archive", "hosts", tmp_path / "not.duckdb")
    assert wrong.returncode == 2 and b"not a DuckDB archive" in wrong.stderr
    (tmp_path / "link.duckdb").symlink_to(tmp_path / "not.duckdb")
    link = run_irkit("archive", "index", tmp_path, "-o", tmp_path / "link.duckdb")
    assert link.returncode == 2 and b"not a regular file" in link.stderr
    assert b"Traceback" not in missing.stderr + wrong.stderr + link.stderr


def test_without_duckdb_the_error_is_one_line_exit_2(tmp_path: Path, run_irkit: Run) -> None:
    """duckdb is installed here, so a module that fails to import stands in for its absence."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "duckdb.py").write_text("raise ImportError('no duckdb here')\n")
    env = irkit_env()
    env["PYTHONPATH"] = f"{shadow}{os.pathsep}{env['PYTHONPATH']}"
    result = run_irkit("archive", "index", tmp_path, "-o", tmp_path / "a.duckdb", env=env)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == (
        "error: the archive needs DuckDB: pip install 'irkit[archive]' (or pip install duckdb)"
    )
