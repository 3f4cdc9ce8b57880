"""Issue 14, section 3: container mode, as a privileged pod runs irkit (deploy/kubernetes).

The host's / is bind-mounted (recursively) at /host in a private mount namespace and irkit
runs with `--root /host --proc /host/proc`, the way a privileged container that mounts the
node sees it. A process of this test's own is put in a cgroup named the way a cgroupfs-driver
kubelet names a pod's container (kubepods/pod<uid>/<container id>); the bundle must attribute
it to that pod and container and hash its executable through the host's /proc. Root only.
"""

import hashlib
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from irkit.evidence.reader import BundleReader
from tests.conftest import irkit_command, irkit_env

UNIFIED = Path("/sys/fs/cgroup/unified")
CGROUP2 = UNIFIED if UNIFIED.is_dir() else Path("/sys/fs/cgroup")


@pytest.fixture
def pod_process(tmp_path: Path) -> Iterator[tuple[int, str, str, str]]:
    """(pid, exe sha256, pod uid, container id) of a process in a kubepods-style cgroup."""
    pod, container = str(uuid.uuid4()), hashlib.sha256(tmp_path.name.encode()).hexdigest()
    group = CGROUP2 / "kubepods" / f"pod{pod}" / container
    try:
        group.mkdir(parents=True)
    except OSError as exc:
        pytest.skip(f"cannot make a cgroup v2 group here (root and cgroup2 needed): {exc}")
    exe = tmp_path / "pod-sentinel"
    shutil.copy2("/bin/sleep", exe)
    proc = subprocess.Popen([str(exe), "600"])
    try:
        (group / "cgroup.procs").write_text(str(proc.pid))
        yield proc.pid, hashlib.sha256(exe.read_bytes()).hexdigest(), pod, container
    finally:
        proc.kill()
        proc.wait()
        for level in (group, group.parent, group.parent.parent):
            level.rmdir()


def test_a_process_in_a_pod_is_attributed_through_host_mounts(
    pod_process: tuple[int, str, str, str], tmp_path: Path
) -> None:
    pid, sha256, pod, container = pod_process
    host, bundle = tmp_path / "host", tmp_path / "case.zip"
    host.mkdir()
    collect = (
        " ".join(map(str, irkit_command("collect", "-c", "processes", "-q", "-o", bundle)))
        + f" --root {host} --proc {host}/proc"
    )
    done = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            f"mount --rbind / {host} && {collect}",
        ],
        capture_output=True,
        env=irkit_env(),
        check=False,
    )
    assert done.returncode in (0, 3), done.stderr.decode(errors="replace")
    with BundleReader(bundle) as reader:
        (mine,) = [r for r in reader.records("process") if r.get("pid") == pid]
    assert (mine["pod_uid"], mine["container_id"]) == (pod, container)
    assert mine["exe_sha256"] == sha256
