"""The tunnel scene, run inside a private network namespace (`unshare -n`) by test_tunnel_e2e.

A real OpenSSH server on 127.0.0.1:PORT (its own host key and config in WORKDIR), a stratum
pool on loopback, and an "agent" (`python3 agent_runner.py`, cwd WORKDIR/agent) that opens
`ssh -N -R 9000:127.0.0.1:22 -p PORT root@127.0.0.1` and starts a synthetic miner: what the
ROME agent did, on loopback. Once the tunnel's forward listens, it runs `irkit triage` and
writes its JSON summary and the pids it started to WORKDIR. Nothing leaves the namespace.

usage: python tunnelscene.py WORKDIR PORT
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from minersample import build_miner, stratum_server, synthetic_monero_wallet

FORWARD_PORT = 9000
AGENT = r"""
import subprocess, time
ssh = subprocess.Popen(SSH)
miner = subprocess.Popen(MINER, stdout=subprocess.PIPE)
ready = miner.stdout.readline().strip() == b"ready"
open("miner-ready", "w").write(str(ready))
time.sleep(3600)
"""
"""The agent's own command line is only `python3 agent_runner.py`: what it runs is in its code."""
SSHD_CONFIG = """Port {port}
ListenAddress 127.0.0.1
HostKey {work}/hostkey
PidFile {work}/sshd.pid
AuthorizedKeysFile {work}/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
UsePAM no
AllowTcpForwarding yes
"""
PLAYBOOK = """name: tunnel-scene
collectors:
  sockets: {}
  processes:
    cpu_interval: 0.2
analysis:
  threshold: medium
  agent:
    process_names: [python3, {interpreter}]
"""


def listening(port: int) -> bool:
    """A TCP socket LISTENing on `port` in this namespace (read from /proc, no tool run)."""
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with open(table) as rows:
            for row in rows.readlines()[1:]:
                fields = row.split()
                if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
                    return True
    return False


def wait_for(condition, what: str, tries: int = 600) -> None:
    """Poll until `condition()` (at most tries × 0.05 s); the scene fails naming `what`."""
    for _ in range(tries):
        if condition():
            return
        time.sleep(0.05)
    raise SystemExit(f"scene: {what} never happened")


def main(work: Path, port: int) -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    for key in ("hostkey", "clientkey"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / key)],
                       check=True)  # fmt: skip
    (work / "authorized_keys").write_bytes((work / "clientkey.pub").read_bytes())
    (work / "sshd_config").write_text(SSHD_CONFIG.format(port=port, work=work))
    sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(work / "sshd_config")])
    agent_dir = work / "agent"
    agent_dir.mkdir()
    wallet = synthetic_monero_wallet()
    agent = None
    try:
        wait_for(lambda: listening(port), f"sshd listening on {port}")
        with stratum_server() as (pool_port, _logins):
            miner = build_miner(work, wallet, pool_port)
            ssh = ["ssh", "-N", "-R", f"{FORWARD_PORT}:127.0.0.1:22", "-p", str(port),
                   "-i", str(work / "clientkey"), "-F", "/dev/null",
                   "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                   "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes",
                   "root@127.0.0.1"]  # fmt: skip
            command = [str(miner), "-o", f"stratum+tcp://127.0.0.1:{pool_port}",
                       "-u", f"{wallet}.rig01", "-a", "rx/0"]  # fmt: skip
            code = AGENT.replace("SSH", repr(ssh)).replace("MINER", repr(command))
            (agent_dir / "agent_runner.py").write_text(code)
            agent = subprocess.Popen([sys.executable, "agent_runner.py"], cwd=agent_dir)
            wait_for(lambda: listening(FORWARD_PORT), "the reverse forward")
            wait_for(lambda: (agent_dir / "miner-ready").exists(), "the miner's pool login")
            pids = {"agent": agent.pid, "sshd": sshd.pid, "pool_port": pool_port}
            (work / "pids.json").write_text(json.dumps(pids))
            root = work / "root"
            (root / "etc").mkdir(parents=True)
            (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
            (work / "playbook.yaml").write_text(
                PLAYBOOK.replace("{interpreter}", Path(sys.executable).name)
            )
            done = subprocess.run(
                [sys.executable, "-m", "irkit", "triage", "-p", str(work / "playbook.yaml"),
                 "--root", str(root), "--proc", "/proc", "-o", str(work / "case.zip"), "--json"],
                capture_output=True, timeout=600,
            )  # fmt: skip
            (work / "triage.json").write_bytes(done.stdout)
            (work / "triage.err").write_bytes(done.stderr)
            return done.returncode
    finally:
        if agent is not None:
            with contextlib.suppress(OSError):
                children = Path(f"/proc/{agent.pid}/task/{agent.pid}/children").read_text()
                for child in children.split():
                    os.kill(int(child), signal.SIGKILL)
            agent.kill()
            agent.wait()
        sshd.terminate()
        sshd.wait()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2])))
