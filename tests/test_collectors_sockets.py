"""The sockets collector on real loopback sockets (127.0.0.1 and ::1 only) and fixture tables."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from collecting import collect_bundle, log_entries, records, stop
from hostfixtures import write_tree
from minersample import CANDIDATE_POOL_PORTS

from irkit.knowledge.pools import POOL_PORTS
from irkit.parsers.procnet import TableProblem, decode_address, parse_inet_table

SERVER = """
import socket, sys
server = socket.socket()
for port in map(int, sys.argv[1:]):
    try:
        server.bind(("127.0.0.1", port))
        break
    except OSError:
        continue
else:
    sys.exit("no candidate port free")
server.listen()
print(port, flush=True)
conn, _ = server.accept()
conn.recv(1)
"""


def test_loopback_tcp_udp_and_ipv6_sockets_with_their_pids(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, *map(str, CANDIDATE_POOL_PORTS)], stdout=subprocess.PIPE
    )
    client = socket.socket()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    six = socket.socket(socket.AF_INET6)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        assert port in POOL_PORTS
        client.connect(("127.0.0.1", port))
        udp.bind(("127.0.0.1", 0))
        six.bind(("::1", 0))
        six.listen()
        bundle = collect_bundle(tmp_path / "b.zip", "sockets")
    finally:
        for sock in (client, udp, six):
            sock.close()
        stop(server)
    found = records(bundle, "socket")
    mine = os.getpid()

    def one(**match: object) -> dict:
        hits = [r for r in found if all(r[k] == v for k, v in match.items())]
        assert len(hits) == 1, (match, hits)
        return hits[0]

    listener = one(proto="tcp", local_address="127.0.0.1", local_port=port, state="LISTEN")
    assert listener["pid"] == server.pid
    outgoing = one(proto="tcp", remote_address="127.0.0.1", remote_port=port, state="ESTABLISHED")
    assert outgoing["pid"] == mine
    assert "pool-port" in outgoing["flags"]
    client_port = outgoing["local_port"]
    accepted = one(proto="tcp", local_port=port, remote_port=client_port, state="ESTABLISHED")
    assert accepted["pid"] == server.pid
    assert accepted["process_name"].startswith("python")
    assert one(proto="udp", local_address="127.0.0.1", pid=mine)["state"] == "UNCONN"
    ipv6 = one(proto="tcp6", local_address="::1", state="LISTEN", pid=mine)
    assert ipv6["remote_address"] == "::"
    assert "pool-port" not in listener["flags"], "only remote pool ports are flagged"


def test_listening_unix_socket_with_a_non_utf8_name(tmp_path: Path) -> None:
    path = os.fsencode(tmp_path) + b"/miner-\xff.sock"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(path)
        sock.listen()
        bundle = collect_bundle(tmp_path / "b.zip", "sockets")
    finally:
        sock.close()
    unix = [r for r in records(bundle, "socket") if r["proto"] == "unix"]
    mine = [r for r in unix if os.fsencode(r["local_address"]) == path]
    assert len(mine) == 1 and mine[0]["pid"] == os.getpid() and mine[0]["state"] == "LISTEN"


TCP = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
    "   0: 0100007F:0D05 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0 "
    "       0 1001 1 0000000000000000 100 0 0 10 0\n"
    "   1: 0100007F:A1B2 0100007F:0D05 01 00000000:00000000 00:00000000 00000000  1000 "
    "       0 1002 1 0000000000000000 20 4 30 10 -1\n"
    "   2: garbage row\n"
)
TCP6 = (
    "  sl  local_address                         remote_address                        st\n"
    "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 0 10 0\n"
)
UNIX = (
    "Num       RefCount Protocol Flags    Type St Inode Path\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 3001 /run/listening.sock\n"
    "0000000000000000: 00000002 00000000 00000000 0001 03 3002 /run/connected.sock\n"
)


def test_fixture_tables_and_fd_links(tmp_path: Path) -> None:
    proc = write_tree(
        tmp_path / "proc",
        {
            "net/tcp": TCP,
            "net/tcp6": TCP6,
            "net/udp": "  sl  local_address\n",
            "net/unix": UNIX,
            "77/comm": "xmrig\n",
        },
    )
    (proc / "77" / "fd").mkdir()
    (proc / "77" / "fd" / "3").symlink_to("socket:[1002]")
    (proc / "77" / "fd" / "4").symlink_to("socket:[3001]")
    (proc / "77" / "fd" / "5").symlink_to("/dev/null")
    bundle = collect_bundle(tmp_path / "b.zip", "sockets", root=tmp_path, proc=proc)
    found = {(r["proto"], r["inode"]): r for r in records(bundle, "socket")}
    assert set(found) == {("tcp", 1001), ("tcp", 1002), ("tcp6", 2001), ("unix", 3001)}
    assert found[("tcp", 1001)]["local_port"] == 3333 and found[("tcp", 1001)]["pid"] is None
    miner = found[("tcp", 1002)]
    assert (miner["pid"], miner["process_name"], miner["uid"]) == (77, "xmrig", 1000)
    assert miner["flags"] == ["pool-port"]
    assert found[("tcp6", 2001)]["local_address"] == "::1"
    assert found[("tcp6", 2001)]["local_port"] == 8080
    assert found[("unix", 3001)]["local_address"] == "/run/listening.sock"
    problems = [e for e in log_entries(bundle) if e["step"] == "parse"]
    assert [(e["detail"]["path"], e["detail"]["line"]) for e in problems] == [("/proc/net/tcp", 4)]


def test_corrupt_table_rows_are_problems_not_crashes() -> None:
    rows = list(parse_inet_table("tcp", b"header\n0: zz:zz 00:00 0A\n\xff\xfe\x00\n"))
    assert all(isinstance(r, TableProblem) for r in rows) and len(rows) == 2
    assert decode_address("0100007F") == "127.0.0.1"
    assert decode_address("0000000000000000FFFF00000100007F") == "::ffff:127.0.0.1"


NEW_NETNS_LISTENER = """
import ctypes, socket, sys, time
if ctypes.CDLL(None, use_errno=True).unshare(0x40000000) != 0:  # CLONE_NEWNET
    sys.exit("unshare failed")
sock = socket.socket(socket.AF_UNIX)
sock.bind(b"\\0irkit-netns-test")
sock.listen()
print("ready", flush=True)
time.sleep(120)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a network namespace needs root")
def test_a_socket_in_another_network_namespace_is_found(tmp_path: Path) -> None:
    """As in a container: the socket is absent from the host's /proc/net."""
    child = subprocess.Popen([sys.executable, "-c", NEW_NETNS_LISTENER], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        host_table = Path("/proc/net/unix").read_text()
        bundle = collect_bundle(tmp_path / "b.zip", "sockets")
    finally:
        stop(child)
    assert "@irkit-netns-test" not in host_table
    (found,) = [r for r in records(bundle, "socket") if r["local_address"] == "@irkit-netns-test"]
    assert found["pid"] == child.pid
    assert found["source"] == f"/proc/{child.pid}/net/unix"
    assert found["netns"] != os.stat("/proc/self/ns/net").st_ino
