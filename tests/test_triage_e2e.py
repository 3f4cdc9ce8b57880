"""Acceptance for the triage run: a compromised host built on this machine, and a clean one.

Live parts are real: a compiled synthetic miner (hidden directory, kernel-thread name,
deleted after start, logged in to a stratum server on 127.0.0.1:3333). What a test cannot
create on the host itself (cron, systemd, ld.so.preload) is a fixture root given with --root.
"""

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import irkit_env
from hostfixtures import write_tree
from minersample import build_miner, stratum_server, synthetic_monero_wallet

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc builds the sample")


@pytest.fixture
def running_miner(tmp_path: Path):
    wallet = synthetic_monero_wallet()
    binary = build_miner(tmp_path, wallet)
    hidden = tmp_path / ".cache" / ".x"
    hidden.mkdir(parents=True)
    exe = hidden / "kworkerds"
    shutil.copy2(binary, exe)
    args = [
        str(exe),
        "--url=stratum+tcp://127.0.0.1:3333",
        f"--user={wallet}.rig01",
        "--donate-level=1",
        "-a",
        "rx/0",
    ]
    with stratum_server(3333) as logins:
        miner = subprocess.Popen(args, stdout=subprocess.PIPE)
        try:
            assert miner.stdout is not None
            assert miner.stdout.readline().strip() == b"ready"
            exe.unlink()
            yield miner, str(exe), wallet, logins
        finally:
            miner.kill()
            miner.wait()


def compromised_root(base: Path, exe: str) -> Path:
    return write_tree(
        base,
        {
            "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
            "etc/crontab": f"SHELL=/bin/sh\n*/5 * * * * root {exe} >/dev/null 2>&1\n",
            "etc/systemd/system/kworker.service": (
                f"[Unit]\nDescription=kernel worker\n\n[Service]\nExecStart={exe}\n"
                "Restart=always\n\n[Install]\nWantedBy=multi-user.target\n"
            ),
            "etc/ld.so.preload": "/usr/local/lib/libprocesshider.so\n",
        },
    )


def triage_json(run_irkit, root: Path, out: Path) -> tuple[int, dict, str]:
    # The live /proc on purpose: the planted miner runs here, its files are in the fixture root.
    proc = run_irkit("triage", "--root", root, "--proc", "/proc", "-o", out, "--json", timeout=600)
    return proc.returncode, json.loads(proc.stdout), proc.stderr.decode()


@pytest.mark.slow
def test_triage_finds_the_planted_miner(tmp_path: Path, running_miner, run_irkit) -> None:
    miner, exe, wallet, logins = running_miner
    assert logins and logins[0]["method"] == "login"
    root = compromised_root(tmp_path / "root", exe)
    code, report, stderr = triage_json(run_irkit, root, tmp_path / "case.zip")
    assert code == 1, stderr
    findings = report["findings"]
    mine = [f for f in findings if f["pid"] == miner.pid and f["source"] == "heuristic"]
    assert mine, stderr
    assert mine[0]["title"].startswith("likely miner")
    assert len(mine[0]["reasons"]) >= 3
    assert report["verdict"]["verdict"].startswith("COMPROMISED")
    iocs = {(i["ioc_type"], i["value"]) for i in report["iocs"]}
    assert ("pool-host", "127.0.0.1:3333") in iocs
    assert ("wallet", wallet) in iocs
    assert ("worker", "rig01") in iocs
    persistence = {f["path"]: f for f in findings if "persistence" in f["title"]}
    for source in ("/etc/crontab", "/etc/systemd/system/kworker.service"):
        assert any(exe in r and f"pid {miner.pid}" in r for r in persistence[source]["reasons"])
    assert "/etc/ld.so.preload" in persistence
    verify = run_irkit("verify", tmp_path / "case.zip")
    assert verify.returncode == 0, verify.stderr.decode()


@pytest.mark.slow
def test_triage_of_a_clean_root_is_clean(tmp_path: Path, run_irkit) -> None:
    crontab = "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n"
    root = write_tree(
        tmp_path / "clean",
        {"etc/passwd": "root:x:0:0:root:/root:/bin/bash\n", "etc/crontab": crontab},
    )
    code, report, stderr = triage_json(run_irkit, root, tmp_path / "clean.zip")
    serious = [f for f in report["findings"] if f["severity"] in ("medium", "high", "critical")]
    assert serious == [], stderr
    assert code == 0, stderr


def test_triage_needs_no_programs_on_path(tmp_path: Path, run_irkit) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    proc = run_irkit(
        "triage", "-p", "quick", "-o", tmp_path / "q.zip", "-q", env=irkit_env(PATH=str(empty))
    )
    assert proc.returncode in (0, 1), proc.stderr.decode()
    assert os.path.getsize(tmp_path / "q.zip") > 0


@pytest.mark.slow
def test_triage_with_memory_dumps_what_it_flags(tmp_path: Path, running_miner, run_irkit) -> None:
    miner, _, _, _ = running_miner
    playbook = tmp_path / "dump.yaml"
    playbook.write_text(
        "name: dump-flagged\ncollectors:\n  sockets: {}\n  processes: {}\n"
        "  memory:\n    max_total: 268435456\n"
    )
    out = tmp_path / "mem.zip"
    proc = run_irkit(
        "triage", "-p", playbook, "-o", out, "--root", tmp_path / "none", "--proc", "/proc", "-q"
    )
    assert proc.returncode == 1, proc.stderr.decode()
    with zipfile.ZipFile(out) as bundle:
        assert f"memory/pid-{miner.pid}.core" in bundle.namelist()
        dumps = [
            json.loads(line)
            for line in bundle.read("records/memory-flagged.jsonl").split(b"\n")
            if line
        ]
    assert dumps[0]["pid"] == miner.pid
