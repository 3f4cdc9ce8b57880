"""The files a flagged miner or tunnel was started with, and what its log says (docs/iocs.md)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irkit.analysis.startfiles import (
    absolute,
    apply_tunnel_config,
    iocs_from_log,
    log_file_of,
    started_with,
    tunnel_configs,
)
from irkit.analysis.tunnels import parse_tunnel
from tests.hostile.fuzzing import fuzz_settings


def test_named_config_and_log_relative_to_the_cwd() -> None:
    argv = ["./xmrig", "-c", "cfg/c.json", "--log-file=/var/tmp/x.log"]
    assert started_with(argv, "/opt/x/xmrig", "/home/u") == [
        ("config", "/home/u/cfg/c.json"),
        ("log", "/var/tmp/x.log"),
    ]


def test_default_config_beside_the_exe_and_in_the_cwd() -> None:
    found = started_with(["./kworkerds"], "/tmp/.x/kworkerds", "/root")
    assert found == [
        ("config", "/tmp/.x/config.json"),
        ("config", "/tmp/.x/config.ini"),
        ("config", "/root/config.json"),
        ("config", "/root/config.ini"),
    ]
    assert started_with(["m", "--config", "rel.json"], None, None) == [], "no cwd: no guess"


def test_log_file_named_by_the_config() -> None:
    assert log_file_of('{"log-file": "m.log"}', "/srv") == "/srv/m.log"
    assert log_file_of('{"log-file": null}', "/srv") is None
    assert log_file_of("[[[[", "/srv") is None


def test_pools_from_an_xmrig_log() -> None:
    log = (
        "[2026-11-30 10:00:01.000]  net      use pool pool.evil.test:3333  198.51.100.7\n"
        "[2026-11-30 10:00:02.000]  net      new job from pool.evil.test:3333 diff 1000\n"
        " * POOL #1      stratum+ssl://tls.evil.test:14433 algo rx/0\n"
    )
    found = {(i.ioc_type, i.value, i.source) for i in iocs_from_log(log, "log")}
    assert ("pool-host", "pool.evil.test:3333", "log") in found
    assert ("pool-url", "stratum+ssl://tls.evil.test:14433", "log") in found


@fuzz_settings(200)
@given(st.lists(st.text(max_size=20), max_size=6), st.text(max_size=30), st.text(max_size=200))
def test_hostile_inputs_never_crash(argv: list[str], cwd: str, text: str) -> None:
    for _, path in started_with(argv, cwd, cwd):
        assert path.startswith("/") and "\0" not in path
    log_file_of(text, cwd)
    iocs_from_log(text, "log")


FRPC_TOML = 'serverAddr = "frp.evil.test"\nserverPort = 7000\n\n[[proxies]]\nremotePort = 6000\n'
FRPC_INI = "[common]\nserver_addr = 198.51.100.61\nserver_port = 7001\n[ssh]\nremote_port = 6001\n"
SSH_CONFIG = (
    "Host jump\n  HostName 198.51.100.62\n  Port 2222\n  User ops\n"
    "  RemoteForward 9000 localhost:22\n"
)


@pytest.mark.parametrize(
    ("argv", "config", "endpoint", "forward"),
    [
        (["frpc", "-c", "frpc.toml"], FRPC_TOML, "frp.evil.test:7000", "remote port 6000"),
        (["frpc", "-c", "/etc/frpc.ini"], FRPC_INI, "198.51.100.61:7001", "remote port 6001"),
        (["ssh", "-F", "cfg", "-N", "jump"], SSH_CONFIG, "ops@198.51.100.62:2222",
         "RemoteForward 9000 localhost:22"),
    ],
)  # fmt: skip
def test_a_tunnel_config_names_the_far_end(
    argv: list[str], config: str, endpoint: str, forward: str
) -> None:
    assert tunnel_configs(argv, "/srv") == [absolute(argv[2], "/srv")]
    tunnel = parse_tunnel(argv)
    assert tunnel is not None
    apply_tunnel_config(tunnel, config)
    assert tunnel.endpoint == endpoint
    assert forward in tunnel.forwards and tunnel.direction == "reverse"
