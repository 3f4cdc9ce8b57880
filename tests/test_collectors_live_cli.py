"""The live collectors through the real CLI: with no programs on PATH, and as user nobody."""

import json
import os
import socket
import zipfile
from pathlib import Path

from conftest import irkit_env, needs_unprivileged_python, run_irkit_as_nobody
from livehost import READS_DENIED, assert_live_exit, manifest

LIVE = "sockets,processes,gpu,modules,persistence,accounts"


def bundle_records(bundle: Path, kind: str) -> list[dict]:
    with zipfile.ZipFile(bundle) as zf:
        return [
            json.loads(line)
            for name in zf.namelist()
            if name.startswith("records/")
            for line in zf.read(name).splitlines()
            if json.loads(line)["type"] == kind
        ]


def test_live_collectors_need_no_program_on_path(tmp_path: Path, run_irkit) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    out = tmp_path / "c.zip"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        proc = run_irkit("collect", "-c", LIVE, "-o", out, "-q", env=irkit_env(PATH=str(empty)))
    assert_live_exit(proc, out)
    processes = bundle_records(out, "process")
    assert any(r["pid"] == os.getpid() for r in processes)
    sockets = bundle_records(out, "socket")
    assert any(r["local_port"] == port and r["pid"] == os.getpid() for r in sockets)
    assert run_irkit("verify", out).returncode == 0


@needs_unprivileged_python
def test_live_collectors_finish_as_nobody_and_log_what_they_could_not_read(
    nobody_dir: Path, run_irkit
) -> None:
    bundle = nobody_dir / "u.zip"
    proc = run_irkit_as_nobody("collect", "-c", LIVE, "-q", "-o", bundle)
    assert proc.returncode == 3, proc.stderr.decode()
    reason = manifest(bundle)["incomplete_reason"]
    assert reason.startswith(READS_DENIED) and "/proc/PID/exe of" in reason
    assert run_irkit("verify", bundle).returncode == 0
    with zipfile.ZipFile(bundle) as zf:
        log = [json.loads(line) for line in zf.read("collection.log").splitlines()]
    processes = bundle_records(bundle, "process")
    assert all(e["outcome"] != "error" or e["step"] != "collector-end" for e in log)
    me = next(r for r in processes if r["pid"] == os.getpid())
    assert me["user"] == "root" and me["cmdline"], "other users' processes are still listed"
    denied = {e["detail"]["field"] for e in log if e["step"] == "read-proc"}
    assert {"environ", "exe"} <= denied, "unreadable /proc fields are logged"
    assert any(
        e["collector"] == "persistence"
        and e["outcome"] == "error"
        and e["detail"].get("path", "").startswith("/root/")
        for e in log
    ), "the 0700 /root home is logged as unreadable, not silently skipped"
