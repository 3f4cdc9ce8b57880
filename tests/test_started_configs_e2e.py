"""A miner that keeps pool and wallet in its config, end to end (docs/iocs.md, "Configs").

Live parts are real: a compiled program with no arguments that logs in to a stratum server on
127.0.0.1:443 (a port no pool-port list holds) and then waits, with a config.json beside it, and
a second one started with `-c conf/m.json`, a path relative to its working directory. Neither
spins the CPU, is hidden or deleted: its config is the only thing that says it mines. The
persistence entries (a systemd unit and a cron line starting a miner with its config) are a
fixture root given with --root: a test cannot install units on the machine it runs on.
"""

import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostfixtures import write_tree
from livehost import assert_live_exit
from minersample import stratum_server, synthetic_monero_wallet

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc builds the sample")

QUIET_MINER_C = r"""
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in pool = {.sin_family = AF_INET, .sin_port = htons(POOL_PORT)};
    inet_pton(AF_INET, "127.0.0.1", &pool.sin_addr);
    if (connect(fd, (struct sockaddr *)&pool, sizeof pool) != 0) return 2;
    const char *login = "{\"id\":1,\"method\":\"login\",\"params\":{\"login\":\"x\"}}\n";
    write(fd, login, strlen(login));
    char reply[4096];
    read(fd, reply, sizeof reply);
    puts("ready");
    fflush(stdout);
    pause();
}
"""
WALLET = synthetic_monero_wallet(21)
RELATIVE_WALLET = synthetic_monero_wallet(22)
UNIT_WALLET = synthetic_monero_wallet(23)
CRON_WALLET = synthetic_monero_wallet(24)


def miner_config(port: int, wallet: str, worker: str) -> str:
    pool = {"url": f"127.0.0.1:{port}", "user": wallet, "pass": "x", "rig-id": worker}
    return json.dumps({"donate-level": 1, "pools": [pool | {"algo": "rx/0"}]})


@pytest.fixture
def pool_on_443() -> Iterator[int]:
    if os.geteuid() != 0:
        pytest.skip("binding port 443 needs root (CI runs the tests as root)")
    try:
        with stratum_server((443,)) as (port, _logins):
            yield port
    except OSError as exc:
        pytest.skip(f"port 443 on 127.0.0.1 is taken on this machine: {exc}")


def start(argv: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"ready"
    return process


@pytest.fixture
def quiet_miners(tmp_path: Path, pool_on_443: int) -> Iterator[tuple[subprocess.Popen, ...]]:
    """(no arguments, config beside it), (`-c conf/m.json` relative to its cwd)."""
    source = tmp_path / "m.c"
    source.write_text(QUIET_MINER_C.replace("POOL_PORT", str(pool_on_443)))
    beside = tmp_path / "opt" / "helper"
    beside.mkdir(parents=True)
    subprocess.run([shutil.which("gcc") or "gcc", "-O1", "-o", str(beside / "syshelper"),
                    str(source)], check=True)  # fmt: skip
    (beside / "config.json").write_text(miner_config(pool_on_443, WALLET, "quietrig"))
    work = tmp_path / "work"
    (work / "conf").mkdir(parents=True)
    (work / "conf" / "m.json").write_text(miner_config(pool_on_443, RELATIVE_WALLET, "relrig"))
    shutil.copy2(beside / "syshelper", work / "netd")
    processes = []
    try:
        processes.append(start([str(beside / "syshelper")], tmp_path))
        processes.append(start([str(work / "netd"), "-c", "conf/m.json"], work))
        yield tuple(processes)
    finally:
        for process in processes:
            process.kill()
            process.wait()


PLAYBOOK = (
    "name: configs\ncollectors:\n  sockets: {}\n  processes:\n    cpu_interval: 0.1\n"
    "  persistence: {}\nanalysis:\n  threshold: medium\n"
)


def persistence_root(base: Path) -> Path:
    """A unit and a cron line that start XMRig with a config, and the configs themselves."""
    unit = (
        "[Unit]\nDescription=update\n[Service]\n"
        "ExecStart=/opt/xmrig/xmrig --config=/etc/xmrig/config.json -B\n"
        "[Install]\nWantedBy=multi-user.target\n"
    )
    return write_tree(
        base,
        {
            "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
            "etc/systemd/system/update.service": unit,
            "etc/xmrig/config.json": miner_config(14444, UNIT_WALLET, "unitrig"),
            "etc/crontab": "SHELL=/bin/sh\n@reboot root cd /var/tmp/.m && ./xmrig >/dev/null\n",
            "var/tmp/.m/config.json": miner_config(3333, CRON_WALLET, "cronrig"),
        },
    )


@pytest.mark.slow
def test_a_miner_configured_only_by_its_config_is_a_likely_miner(
    tmp_path: Path, quiet_miners: tuple[subprocess.Popen, ...], run_irkit
) -> None:
    no_args, relative = quiet_miners
    playbook = tmp_path / "configs.yaml"
    playbook.write_text(PLAYBOOK)
    root = persistence_root(tmp_path / "root")
    out = tmp_path / "case.zip"
    proc = run_irkit(
        "triage", "-p", playbook, "--root", root, "--proc", "/proc", "-o", out, "--json"
    )
    assert_live_exit(proc, out, 1)
    report = json.loads(proc.stdout)
    stderr = proc.stderr.decode()
    by_pid = {f["pid"]: f for f in report["findings"] if f["source"] == "heuristic"}
    for miner, wallet in ((no_args, WALLET), (relative, RELATIVE_WALLET)):
        finding = by_pid.get(miner.pid)
        assert finding is not None, stderr
        assert finding["title"].startswith("likely miner"), finding
        assert finding["severity"] == "critical"
        assert any("the pool its config names (127.0.0.1:443)" in r for r in finding["reasons"])
        assert any(wallet in r for r in finding["reasons"])
    assert report["verdict"]["verdict"].startswith("COMPROMISED")
    iocs = {(i["ioc_type"], i["value"]): i for i in report["iocs"]}
    for wallet, worker in ((WALLET, "quietrig"), (RELATIVE_WALLET, "relrig")):
        assert iocs[("wallet", wallet)]["source"] == "config"
        assert iocs[("worker", worker)]["source"] == "config"
    assert iocs[("pool-host", "127.0.0.1:443")]["source"] in ("config", "socket")
    assert iocs[("wallet", WALLET)]["finding"] == by_pid[no_args.pid]["title"]
    # The persistence entries: the config each starts its miner with, read under --root.
    persistence = {f["path"]: f for f in report["findings"] if "persistence" in f["title"]}
    unit = persistence["/etc/systemd/system/update.service"]
    assert any("/etc/xmrig/config.json" in r and UNIT_WALLET in r for r in unit["reasons"])
    cron = persistence["/etc/crontab"]
    assert any("/var/tmp/.m/config.json" in r and CRON_WALLET in r for r in cron["reasons"])
    for wallet, worker, title in ((UNIT_WALLET, "unitrig", unit["title"]),
                                  (CRON_WALLET, "cronrig", cron["title"])):  # fmt: skip
        assert iocs[("wallet", wallet)]["finding"] == title
        assert iocs[("wallet", wallet)]["source"] == "config"
        assert ("worker", worker) in iocs
    assert ("pool-host", "127.0.0.1:14444") in iocs
    # Each config is in the bundle, and named by the record that says why it was read.
    with zipfile.ZipFile(out) as bundle:
        names = set(bundle.namelist())
        configs = [
            json.loads(line)
            for line in bundle.read("records/started-configs.jsonl").splitlines()
            if line
        ]
    mine = {c["pid"]: c for c in configs if c["pid"] in (no_args.pid, relative.pid)}
    assert mine[no_args.pid]["how"] == "beside its executable"
    assert mine[relative.pid]["how"] == "named on its command line"
    assert mine[relative.pid]["path"] == str(tmp_path / "work" / "conf" / "m.json")
    entries = {c["entry"]: c for c in configs if c["entry"]}
    assert entries["/etc/systemd/system/update.service:4"]["path"] == "/etc/xmrig/config.json"
    assert "files/etc/xmrig/config.json" in names
    assert all(c["member"] in names for c in configs)


COMPOSE_WALLET = synthetic_monero_wallet(25)
K8S_WALLET = synthetic_monero_wallet(26)
IMAGE_WALLET = synthetic_monero_wallet(27)
FILES_PLAYBOOK = (
    "name: launch-files\ncollectors:\n  persistence: {}\nhunts:\n  - name: files\n"
    '    targets: paths\n    paths: ["/srv/"]\n    budget_seconds: 60\n'
    "analysis:\n  threshold: medium\n"
)


def launch_files_root(base: Path) -> Path:
    """A compose file, a DaemonSet and a Dockerfile that start XMRig, each with the config it
    brings along on the host; and a benign compose file with a web app's config."""
    compose = (
        "services:\n  worker:\n    image: someone/xmrig:6.21\n    restart: always\n"
        "    volumes:\n      - ./config.json:/xmrig/config.json:ro\n"
    )
    daemonset = (
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: node-agent\nspec:\n"
        "  template:\n    spec:\n      containers:\n      - name: agent\n"
        "        image: someone/xmrig:latest\n"
        '        command: ["xmrig", "-c", "/cfg/config.json"]\n'
        "        volumeMounts:\n        - {name: cfg, mountPath: /cfg}\n"
        "      volumes:\n      - name: cfg\n        hostPath:\n          path: /etc/node-agent\n"
    )
    dockerfile = (
        "FROM alpine:3.19\nCOPY build/xmrig /usr/local/bin/xmrig\n"
        "COPY conf/pool.json /etc/xmrig.json\n"
        'ENTRYPOINT ["/usr/local/bin/xmrig", "--config=/etc/xmrig.json"]\n'
    )
    benign = "services:\n  web:\n    image: nginx:1.25\n    volumes:\n      - ./c.json:/c.json\n"
    return write_tree(
        base,
        {
            "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
            "srv/mine/docker-compose.yml": compose,
            "srv/mine/config.json": miner_config(3333, COMPOSE_WALLET, "composerig"),
            "srv/k8s/daemonset.yaml": daemonset,
            "etc/node-agent/config.json": miner_config(4444, K8S_WALLET, "k8srig"),
            "srv/img/Dockerfile": dockerfile,
            "srv/img/conf/pool.json": miner_config(5555, IMAGE_WALLET, "imagerig"),
            "srv/web/docker-compose.yml": benign,
            "srv/web/c.json": '{"url": "api.internal.test:8443", "user": "svc"}',
        },
    )


@pytest.mark.slow
def test_a_launch_files_config_is_read_with_it(tmp_path: Path, run_irkit) -> None:
    playbook = tmp_path / "files.yaml"
    playbook.write_text(FILES_PLAYBOOK)
    root = launch_files_root(tmp_path / "root")
    out = tmp_path / "files.zip"
    proc = run_irkit("triage", "-p", playbook, "--root", root, "-o", out, "--json")
    assert proc.returncode == 1, proc.stderr.decode()
    report = json.loads(proc.stdout)
    by_path = {f["path"]: f for f in report["findings"] if f["source"] == "yara"}
    iocs = {(i["ioc_type"], i["value"]): i for i in report["iocs"]}
    for path, config, wallet, worker in (
        ("/srv/mine/docker-compose.yml", "/srv/mine/config.json", COMPOSE_WALLET, "composerig"),
        ("/srv/k8s/daemonset.yaml", "/etc/node-agent/config.json", K8S_WALLET, "k8srig"),
        ("/srv/img/Dockerfile", "/srv/img/conf/pool.json", IMAGE_WALLET, "imagerig"),
    ):
        finding = by_path[path]
        assert any(config in r and wallet in r for r in finding["reasons"]), finding
        # A config under /srv is a YARA finding of its own too; its IOCs may belong to either.
        titles = {f["title"] for f in report["findings"] if f["path"] in (path, config)}
        assert iocs[("wallet", wallet)]["finding"] in titles
        assert iocs[("wallet", wallet)]["source"] in ("config", "file")
        assert ("worker", worker) in iocs
    assert iocs[("wallet", K8S_WALLET)]["finding"] == by_path["/srv/k8s/daemonset.yaml"]["title"]
    assert iocs[("wallet", K8S_WALLET)]["source"] == "config"
    assert "/srv/web/docker-compose.yml" not in by_path
    with zipfile.ZipFile(out) as bundle:
        names = set(bundle.namelist())
    assert {"files/etc/node-agent/config.json", "files/srv/img/conf/pool.json"} <= names
    assert "files/srv/web/c.json" not in names
