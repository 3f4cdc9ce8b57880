"""Real sshd instances on loopback ports, each with its own host key and config: SSH targets
for the fleet tests on one machine (they all share this machine's /proc and /dev/shm)."""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SSHD = Path("/usr/sbin/sshd")


class SshdUnavailable(Exception):
    """What this machine lacks to run an sshd (a skip reason)."""


@dataclass(frozen=True)
class Target:
    name: str
    port: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client_key(directory: Path) -> Path:
    key = directory / "client_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


@contextmanager
def sshd(directory: Path, name: str, authorized: Path) -> Iterator[Target]:
    """One sshd for root logins with `authorized` (a public key) on a free loopback port."""
    if not SSHD.is_file() or shutil.which("ssh") is None:
        raise SshdUnavailable("openssh-server and openssh-client are not installed")
    home = directory / name
    home.mkdir()
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / "host_key")], check=True
    )
    shutil.copy(authorized, home / "authorized_keys")
    port = free_port()
    (home / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {home}/host_key\n"
        f"PidFile {home}/sshd.pid\nAuthorizedKeysFile {home}/authorized_keys\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nMaxStartups 50\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    proc = subprocess.Popen(
        [str(SSHD), "-D", "-e", "-f", str(home / "sshd_config")],
        stderr=(home / "sshd.log").open("wb"),
    )
    try:
        _wait_listening(port, proc)
        yield Target(name, port)
    finally:
        proc.terminate()
        proc.wait()


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Until sshd accepts connections (or has died: then say so)."""
    while proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SshdUnavailable(f"sshd exited with {proc.returncode}")
