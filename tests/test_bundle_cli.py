"""The foundation end to end through the real CLI: collect, unzip, sha256sum, verify, tamper."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from bundles import read_manifest, rebuild
from conftest import (
    irkit_command,
    irkit_env,
    needs_unprivileged_python,
    run_irkit_as_nobody,
)
from livehost import READS_DENIED, assert_live_exit, manifest

UNZIP = shutil.which("unzip")


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("case") / "case.zip"
    proc = subprocess.run(
        irkit_command("collect", "-o", out, "-q"), env=irkit_env(), capture_output=True
    )
    assert_live_exit(proc, out)
    return out


def test_help_lists_the_commands(run_irkit) -> None:
    proc = run_irkit("--help")
    assert proc.returncode == 0
    for command in ("collect", "verify"):
        assert command in proc.stdout.decode()
    assert "Exit codes" in proc.stdout.decode()


def test_version(run_irkit) -> None:
    proc = run_irkit("--version")
    assert proc.returncode == 0
    assert proc.stdout.decode().startswith("irkit ")


@pytest.mark.skipif(UNZIP is None, reason="Debian's unzip is not installed")
def test_unzip_accepts_the_bundle_and_every_hash_matches(case: Path, tmp_path: Path) -> None:
    test = subprocess.run([UNZIP, "-t", case], capture_output=True, text=True)
    assert test.returncode == 0, test.stdout
    subprocess.run([UNZIP, "-q", case, "-d", tmp_path], check=True)
    manifest = read_manifest(case)
    assert manifest["complete"] is True or manifest["incomplete_reason"].startswith(READS_DENIED)
    assert manifest["members"], "the manifest lists members"
    for member in manifest["members"]:
        out = subprocess.run(
            ["sha256sum", tmp_path / member["name"]], capture_output=True, text=True, check=True
        )
        assert out.stdout.split()[0] == member["sha256"], member["name"]
        assert (tmp_path / member["name"]).stat().st_size == member["size"]
    assert {m["name"] for m in manifest["members"]} >= {
        "collection.log",
        "records/host.jsonl",
        "records/files.jsonl",
        "files/proc/version",
    }
    for key in ("command_line", "host", "started", "ended", "tool"):
        assert manifest[key]
    assert manifest["host"]["hostname"]


def test_sidecar_checks_with_sha256sum(case: Path) -> None:
    check = subprocess.run(
        ["sha256sum", "-c", case.name + ".sha256"], cwd=case.parent, capture_output=True
    )
    assert check.returncode == 0, check.stdout


def test_collection_log_has_utc_times_for_every_action(case: Path) -> None:
    with zipfile.ZipFile(case) as zf:
        lines = zf.read("collection.log").decode().splitlines()
    entries = [json.loads(line) for line in lines]
    steps = [e["step"] for e in entries]
    assert steps.index("collection-start") < steps.index("collector-start")  # before any collector
    assert entries[-1]["step"] == "seal"
    assert all(e["time"].endswith("Z") for e in entries)
    written = {e["detail"]["member"] for e in entries if e["step"] == "write-member"}
    assert "files/proc/version" in written


def test_verify_accepts_an_intact_bundle(case: Path, run_irkit) -> None:
    proc = run_irkit("verify", case)
    assert proc.returncode == 0, proc.stderr.decode()
    assert "intact" in proc.stderr.decode()


@pytest.mark.parametrize(
    ("how", "member"),
    [
        ("change", "files/proc/version"),
        ("drop", "records/host.jsonl"),
        ("add", "files/etc/planted"),
    ],
)
def test_verify_names_a_tampered_member(case: Path, tmp_path: Path, run_irkit, how, member) -> None:
    tampered = tmp_path / "tampered.zip"
    if how == "change":
        with zipfile.ZipFile(case) as zf:
            data = bytearray(zf.read(member))
        data[0] ^= 0x01
        rebuild(case, tampered, change={member: bytes(data)})
    elif how == "drop":
        rebuild(case, tampered, drop={member})
    else:
        rebuild(case, tampered, add={member: b"not collected"})
    proc = run_irkit("verify", tampered)
    assert proc.returncode == 1
    assert member in proc.stderr.decode()


@pytest.mark.parametrize("evil", ["../evil", "/etc/evil", "files/../../evil"])
def test_verify_refuses_escaping_names_and_writes_nothing(tmp_path: Path, run_irkit, evil) -> None:
    work = tmp_path / "work"
    work.mkdir()
    bundle = work / "evil.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        zf.writestr("manifest.json", b"{}")
        zf.writestr(evil, b"owned")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    proc = run_irkit("verify", bundle, cwd=work)
    assert proc.returncode == 2
    stderr = proc.stderr.decode()
    assert "REFUSED" in stderr and evil in stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert not Path("/etc/evil").exists()


def test_verify_reports_a_file_that_is_not_a_zip(tmp_path: Path, run_irkit) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not a zip")
    proc = run_irkit("verify", junk)
    assert proc.returncode == 2
    assert "not a readable zip" in proc.stderr.decode()


def test_collect_streams_to_stdout(tmp_path: Path, run_irkit) -> None:
    proc = run_irkit("collect", "-o", "-", "-q")
    assert_live_exit(proc, proc.stdout)
    streamed = tmp_path / "s.zip"
    streamed.write_bytes(proc.stdout)
    assert run_irkit("verify", streamed).returncode == 0
    assert hashlib.sha256(proc.stdout).hexdigest() in proc.stderr.decode()


def test_collect_refuses_to_overwrite(case: Path, run_irkit) -> None:
    proc = run_irkit("collect", "-o", case)
    assert proc.returncode == 2
    assert "--overwrite" in proc.stderr.decode()


def test_unknown_collector_is_a_usage_error(tmp_path: Path, run_irkit) -> None:
    proc = run_irkit("collect", "-o", tmp_path / "x.zip", "--collectors", "nope")
    assert proc.returncode == 2
    assert "unknown collector" in proc.stderr.decode()
    assert not (tmp_path / "x.zip").exists()


def test_collection_runs_with_no_programs_on_path(tmp_path: Path, run_irkit) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    proc = run_irkit("collect", "-o", tmp_path / "c.zip", "-q", env=irkit_env(PATH=str(empty)))
    assert_live_exit(proc, tmp_path / "c.zip")
    assert run_irkit("verify", tmp_path / "c.zip").returncode == 0


@needs_unprivileged_python
def test_collect_as_an_unprivileged_user(nobody_dir: Path, run_irkit) -> None:
    bundle = nobody_dir / "u.zip"
    proc = run_irkit_as_nobody("collect", "-o", bundle)
    assert proc.returncode == 3, proc.stderr.decode()
    assert manifest(bundle)["incomplete_reason"].startswith(READS_DENIED)
    assert subprocess.run(["unzip", "-tq", bundle], capture_output=True).returncode == 0
    assert run_irkit("verify", bundle).returncode == 0
    log = [json.loads(line) for line in zipfile.ZipFile(bundle).read("collection.log").splitlines()]
    assert any(e["outcome"] in ("error", "skipped") for e in log), "unreadable files are logged"


def _read_position(pid: int, path: Path) -> int:
    """How far `pid` has read into `path` (its fd's offset), 0 before it opens it: the copy
    is cut at copy_bytes but read on (to hash it) for seconds, so the signal lands in it."""
    fds = Path(f"/proc/{pid}/fd")
    for fd in fds.iterdir() if fds.exists() else []:
        try:
            if os.readlink(fd) == str(path):
                return int((fds.parent / "fdinfo" / fd.name).read_text().split()[1])
        except OSError:
            continue
    return 0


def test_sigint_seals_an_incomplete_bundle(tmp_path: Path, run_irkit) -> None:
    """An incompressible utmp past the copy cap keeps the host collector busy long enough to
    interrupt it (a sparse one would now be cut at the cap while still compressing to little)."""
    root = tmp_path / "root"
    (root / "run").mkdir(parents=True)
    with (root / "run" / "utmp").open("wb") as handle:
        for _ in range(80):
            handle.write(os.urandom(1 << 20))
    out = tmp_path / "int.zip"
    child = subprocess.Popen(
        irkit_command("collect", "-o", out, "--root", root, "--collectors", "host"),
        env=irkit_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while _read_position(child.pid, root / "run" / "utmp") < (1 << 20):
        assert time.monotonic() < deadline, "the collection never reached the big file"
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 3, stderr.decode()
    assert not (tmp_path / "int.zip.partial").exists(), "sealed, it was renamed to its final name"
    manifest = read_manifest(out)
    assert manifest["complete"] is False
    assert "SIGINT" in manifest["incomplete_reason"]
    cut = [m for m in manifest["members"] if m["partial"]]
    assert [m["name"] for m in cut] == ["files/run/utmp"]
    files = zipfile.ZipFile(out).read("records/files.jsonl").splitlines()
    utmp = next(r for r in map(json.loads, files) if r["path"] == "/run/utmp")
    assert utmp["partial"] is True and utmp["sha256"] is None, utmp
    assert subprocess.run(["unzip", "-tq", out], capture_output=True).returncode == 0
    verify = run_irkit("verify", out)
    assert verify.returncode == 0, verify.stderr.decode()
    assert "INCOMPLETE" in verify.stderr.decode()
