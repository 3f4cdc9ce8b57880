"""`irkit review` and `irkit timeline` through the real CLI, on hand-made and collected bundles."""

import hashlib
import json
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import irkit_command, irkit_env
from tests.reportbundles import ANSI_NAME, scenario_bundle, write_bundle

Run = Callable[..., subprocess.CompletedProcess[bytes]]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tamper(bundle: Path, member: str) -> Path:
    """A copy of the bundle whose member differs from what its manifest says."""
    changed = bundle.with_name("tampered.zip")
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(changed, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == member:
                data = data.replace(b"curl", b"wget")
            dst.writestr(info, data)
    return changed


def test_review_prints_verdict_findings_and_iocs_without_raw_escapes(
    tmp_path: Path, run_irkit: Run
) -> None:
    bundle = scenario_bundle(tmp_path)
    before = sha256(bundle)
    done = run_irkit("review", bundle)
    out = done.stdout.decode()
    assert done.returncode == 1, done.stderr
    assert "COMPROMISED" in out
    assert "Miner hiding as a kernel thread" in out
    assert "1 high" in out and "1 medium" in out
    assert "203.0.113.7" in out and "pool.example.invalid" in out
    assert b"\x1b" not in done.stdout and b"\x07" not in done.stdout
    assert "\\x1b[31mRED" in out, "the ANSI escape is shown as text"
    assert b"intact" in done.stderr
    assert sha256(bundle) == before


def test_review_json_names_the_host_of_every_bundle_finding_and_ioc(
    tmp_path: Path, run_irkit: Run
) -> None:
    bundle = scenario_bundle(tmp_path, hostname="rig-7")
    document = json.loads(run_irkit("review", bundle, "--json").stdout)
    assert [b["host"] for b in document["bundles"]] == ["rig-7"]
    assert document["findings"] and {f["host"] for f in document["findings"]} == {"rig-7"}
    assert document["iocs"] and {i["host"] for i in document["iocs"]} == {"rig-7"}


def test_fail_on_sets_the_exit_code(tmp_path: Path, run_irkit: Run) -> None:
    bundle = scenario_bundle(tmp_path)
    assert run_irkit("review", bundle, "--fail-on", "critical").returncode == 0
    assert run_irkit("review", bundle, "--fail-on", "bogus").returncode == 2


def test_a_tampered_bundle_stops_review_unless_forced(tmp_path: Path, run_irkit: Run) -> None:
    bundle = tamper(scenario_bundle(tmp_path), "files/etc/crontab")
    report = tmp_path / "r.html"
    stopped = run_irkit("review", bundle, "--html", report)
    assert stopped.returncode == 1
    assert b"NOT INTACT" in stopped.stderr and b"files/etc/crontab" in stopped.stderr
    assert b"pass --allow-not-intact to review it anyway" in stopped.stderr
    assert not report.exists()
    forced = run_irkit("review", bundle, "--allow-not-intact", "--html", report)
    assert forced.returncode == 1
    assert b"COMPROMISED" in forced.stdout
    html = report.read_text()
    assert "NOT INTACT" in html and "sha256 differs" in html


def test_review_of_two_bundles_writes_one_report_with_a_merged_timeline(
    tmp_path: Path, run_irkit: Run
) -> None:
    one = scenario_bundle(tmp_path, "a.zip", hostname="alpha")
    (tmp_path / "b").mkdir()
    two = scenario_bundle(tmp_path / "b", "b.zip", hostname="beta")
    report = tmp_path / "both.html"
    done = run_irkit("review", one, two, "--html", report)
    assert done.returncode == 1, done.stderr
    html = report.read_text()
    assert "alpha, beta" in html
    again = run_irkit("review", one, two, "--html", report)
    assert again.returncode == 2 and b"--overwrite" in again.stderr
    assert run_irkit("review", one, "--html", report, "--overwrite").returncode == 1


def test_unreadable_input_is_a_usage_error(tmp_path: Path, run_irkit: Run) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    for command in ("review", "timeline"):
        done = run_irkit(command, junk)
        assert done.returncode == 2
        assert b"junk.zip" in done.stderr


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle of this machine, collected by the real host collector."""
    bundle = tmp_path_factory.mktemp("collected") / "host.zip"
    done = subprocess.run(
        irkit_command("collect", "-o", bundle, "-c", "host", "-q"),
        env=irkit_env(),
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return bundle


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "bodyfile"])
def test_timeline_of_a_collected_bundle(
    tmp_path: Path, run_irkit: Run, collected: Path, fmt: str
) -> None:
    bundle = collected
    out = tmp_path / f"timeline.{fmt}"
    done = run_irkit("timeline", bundle, "--format", fmt, "-o", out)
    assert done.returncode == 0, done.stderr
    lines = out.read_text().splitlines()
    assert lines
    if fmt == "jsonl":
        rows = [json.loads(line) for line in lines]
        assert all(r["message"] and r["datetime"] and r["timestamp_desc"] for r in rows)
        assert {"file", "log"} <= {r["event_type"] for r in rows}
    elif fmt == "csv":
        assert lines[0].startswith("datetime,timestamp,timestamp_desc,message")
    else:
        assert all(len(line.split("|")) == 11 for line in lines)
    assert run_irkit("timeline", bundle, "--format", fmt, "-o", out).returncode == 2


def test_timeline_warns_of_a_record_its_typed_reader_skips(tmp_path: Path, run_irkit: Run) -> None:
    """The bodyfile reads file records as their type: a wrong-typed one is a warning."""
    bad = {"type": "file", "path": "/etc/cron.d/x", "member": "files/x", "mtime": 5}
    bundle = write_bundle(tmp_path / "bad.zip", {"records/bad-files.jsonl": [bad]})
    done = run_irkit("timeline", bundle, "--format", "bodyfile", "-o", tmp_path / "t.body")
    assert done.returncode == 0, done.stderr
    assert b"file record 1 skipped" in done.stderr


def test_timeline_to_stdout_keeps_the_ansi_name_lossless_as_json(
    tmp_path: Path, run_irkit: Run
) -> None:
    done = run_irkit("timeline", scenario_bundle(tmp_path))
    assert done.returncode == 0
    assert b"\x1b" not in done.stdout, "JSON escapes control characters"
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert any(ANSI_NAME in r["message"] for r in rows)


def test_review_of_a_collected_bundle_writes_its_report(
    tmp_path: Path, run_irkit: Run, collected: Path
) -> None:
    report = tmp_path / "host.html"
    done = run_irkit("review", collected, "--html", report)
    assert done.returncode == 0, done.stderr
    assert b"CLEAN" in done.stdout
    html = report.read_text()
    assert "intact: every member matches the manifest" in html
    assert "records/host.jsonl" in html
