"""A synthetic, harmless "miner" for end-to-end tests, built from public indicator strings.

It mines nothing: it renames itself like a kernel thread, holds an XMRig-style config in its
heap, logs in to a stratum server on loopback and then spins on the CPU until it is killed.
"""

import json
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from irkit.analysis.keccak import keccak256
from irkit.analysis.wallets import B58

_BLOCK_CHARS = {0: 0, 1: 2, 2: 3, 3: 5, 4: 6, 5: 7, 6: 9, 7: 10, 8: 11}


def synthetic_monero_wallet(seed: int = 7) -> str:
    """A well-formed Monero address (valid checksum) whose keys belong to nobody."""
    data = bytes([18]) + bytes((seed * 31 + i) % 256 for i in range(64))
    return cryptonote_base58(data + keccak256(data)[:4])


def cryptonote_base58(data: bytes) -> str:
    """CryptoNote's block base58 (8-byte blocks, each a fixed number of characters)."""
    out = ""
    for start in range(0, len(data), 8):
        block = data[start : start + 8]
        value, chars = int.from_bytes(block, "big"), ""
        for _ in range(_BLOCK_CHARS[len(block)]):
            value, digit = divmod(value, 58)
            chars = B58[digit] + chars
        out += chars
    return out


CANDIDATE_POOL_PORTS = (3333, 4444, 5555, 7777, 14444)
"""Well-known pool ports, 3333 first; a test takes the first one free on this machine."""

MINER_C = r"""
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    prctl(PR_SET_NAME, "kworker/0:2", 0, 0, 0);
    const char *parts[] = {"{\"api\":{\"id\":null},\"donate-level\":1,\"randomx\":{\"init\":-1,",
        "\"mode\":\"auto\"},\"cpu\":{\"enabled\":true,\"huge-pages\":true},\"pools\":[{\"url\":",
        "\"127.0.0.1:POOL_PORT\",\"user\":\"WALLET\",\"pass\":\"x\",\"rig-id\":\"rig01\",",
        "\"algo\":\"rx/0\",\"keepalive\":true,\"tls\":false}]}"};
    char *config = malloc(4096);
    config[0] = 0;
    for (int i = 0; i < 4; i++) strcat(config, parts[i]);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in pool = {.sin_family = AF_INET, .sin_port = htons(POOL_PORT)};
    inet_pton(AF_INET, "127.0.0.1", &pool.sin_addr);
    if (connect(fd, (struct sockaddr *)&pool, sizeof pool) != 0) return 2;
    char login[1024];
    snprintf(login, sizeof login, "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":"
             "{\"login\":\"WALLET\",\"pass\":\"x\",\"agent\":\"XMRig/6.21.0 (Linux x86_64) "
             "libuv/1.44.2 gcc/12.2.0\",\"algo\":[\"rx/0\"]}}\n");
    write(fd, login, strlen(login));
    char reply[4096];
    read(fd, reply, sizeof reply);
    puts("ready");
    fflush(stdout);
    volatile unsigned long spin = 0;
    for (;;) spin += (unsigned long)config[spin % 64];
}
"""


def build_miner(workdir: Path, wallet: str, port: int = 3333) -> Path:
    source = workdir / "miner.c"
    source.write_text(MINER_C.replace("WALLET", wallet).replace("POOL_PORT", str(port)))
    binary = workdir / "miner.bin"
    gcc = shutil.which("gcc") or "gcc"
    subprocess.run([gcc, "-O1", "-o", str(binary), str(source)], check=True)
    return binary


@contextmanager
def stratum_server(
    ports: tuple[int, ...] = CANDIDATE_POOL_PORTS,
) -> Iterator[tuple[int, list[dict]]]:
    """A tiny stratum pool on loopback: answers each login with a job, keeps the socket open.

    Listens on the first of `ports` free on this machine (another test run, or anything
    else, may hold 3333) and yields that port with the logins it received."""
    logins: list[dict] = []
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    for port in ports:
        try:
            listener.bind(("127.0.0.1", port))
            break
        except OSError:
            continue
    else:
        listener.close()
        raise OSError(f"none of the pool ports {ports} is free on 127.0.0.1")
    listener.listen(4)
    listener.settimeout(0.2)
    stop = threading.Event()
    clients: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            clients.append(conn)
            line = conn.makefile("rb").readline()
            logins.append(json.loads(line))
            job = {
                "id": 1,
                "jsonrpc": "2.0",
                "error": None,
                "result": {
                    "id": "1",
                    "job": {"blob": "00" * 76, "job_id": "1", "target": "b88d0600", "algo": "rx/0"},
                    "status": "OK",
                },
            }
            conn.sendall(json.dumps(job).encode() + b"\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port, logins
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in clients:
            conn.close()
        listener.close()
