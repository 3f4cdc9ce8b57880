"""Acceptance: a real sshd reverse tunnel opened by an "agent" script, beside a miner it started.

The scene (tests/tunnelscene.py) runs in a private network namespace, so its sshd, pool and
tunnel live on a loopback of their own; it needs root (unshare -n), OpenSSH and gcc. It is run
with sshd on 22 and on 2222 (a port on the pool-port list): either way the finding names the
destination, the forward spec and the agent's script, and the destination is a tunnel endpoint,
never a pool.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import irkit_env
from stixcheck import assert_strictly_valid, misp_values

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="unshare -n needs root"),
    pytest.mark.skipif(
        not all(shutil.which(t) for t in ("unshare", "ip", "ssh", "ssh-keygen", "gcc"))
        or not Path("/usr/sbin/sshd").exists(),
        reason="needs unshare, iproute2, OpenSSH (client and server) and gcc",
    ),
]
SCENE = Path(__file__).with_name("tunnelscene.py")


@pytest.mark.parametrize("port", [22, 2222])
def test_the_tunnel_names_its_destination_forward_and_agent(tmp_path: Path, port: int) -> None:
    done = subprocess.run(
        ["unshare", "-n", sys.executable, str(SCENE), str(tmp_path), str(port)],
        capture_output=True, env=irkit_env(), timeout=900,
    )  # fmt: skip
    err = (tmp_path / "triage.err").read_bytes() if (tmp_path / "triage.err").exists() else b""
    assert done.returncode in (1, 3), done.stderr.decode() + err.decode()
    report = json.loads((tmp_path / "triage.json").read_bytes())
    pids = json.loads((tmp_path / "pids.json").read_text())
    endpoint = f"root@127.0.0.1:{port}"
    tunnels = [f for f in report["findings"] if f["title"].startswith("tunnel: ")]
    mine = [f for f in tunnels if endpoint in " ".join(f["reasons"])]
    assert mine, tunnels
    reasons = " | ".join(mine[0]["reasons"])
    assert "forwarding -R 9000:127.0.0.1:22" in reasons
    assert f"pid {pids['agent']}: agent_runner.py in {tmp_path / 'agent'}" in reasons
    assert "mining-pool port" not in reasons
    iocs = report["iocs"]
    ends = [i for i in iocs if i["ioc_type"] == "tunnel-endpoint" and i["value"] == endpoint]
    assert ends and ends[0]["detail"]["forwards"] == ["-R 9000:127.0.0.1:22"]
    assert ends[0]["finding"] == mine[0]["title"]
    pools = [i for i in iocs if i["ioc_type"].startswith("pool")]
    assert not [i for i in pools if i["value"].endswith(f":{port}")], pools
    assert f"127.0.0.1:{pids['pool_port']}" in {i["value"] for i in pools}
    assert report["verdict"]["verdict"] == "COMPROMISED"
    stix = tmp_path / "iocs.stix.json"
    with zipfile.ZipFile(tmp_path / "case.zip") as bundle:
        stix.write_bytes(bundle.read("iocs.stix.json"))
    assert_strictly_valid(stix)
    assert {"127.0.0.1", port} <= misp_values(stix.read_bytes()), "the tunnel endpoint"
