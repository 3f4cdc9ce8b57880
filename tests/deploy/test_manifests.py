"""Issue 14, section 3: the Kubernetes manifests pass kubernetes-validate (strict) and hold the
promises docs/fleet.md makes; the Slurm and helper scripts parse."""

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.onefile.built import REPO

KUBE = REPO / "deploy" / "kubernetes"
SCRIPTS = [REPO / "deploy" / "slurm" / "irkit-triage.sbatch", KUBE / "run-on-gpu-nodes.sh"]


def job_for(node: str) -> str:
    """What run-on-gpu-nodes.sh applies for one node."""
    return (KUBE / "job.yaml").read_text().replace("NODE_NAME", node)


def test_manifests_pass_kubernetes_validate(tmp_path: Path) -> None:
    tool = shutil.which("kubernetes-validate")
    if tool is None:
        pytest.skip("kubernetes-validate is not installed (the test extra)")
    job = tmp_path / "job.yaml"
    job.write_text(job_for("gpu-node-1"))
    done = subprocess.run(
        [tool, "--strict", str(job), str(KUBE / "namespace.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("passed") == 2, done.stdout


def test_the_job_reads_the_node_read_only_and_unpacks_into_memory() -> None:
    pod: dict[str, Any] = yaml.safe_load(job_for("gpu-node-1"))["spec"]["template"]["spec"]
    assert pod["hostPID"] is True
    assert pod["nodeName"] == "gpu-node-1"
    assert any(t.get("key") == "nvidia.com/gpu" for t in pod["tolerations"])
    (container,) = pod["containers"]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert mounts["host-root"]["readOnly"] is True
    assert volumes["host-root"]["hostPath"]["path"] == "/"
    assert mounts["shm"]["mountPath"] == "/dev/shm"
    assert volumes["shm"]["emptyDir"]["medium"] == "Memory"
    assert container["args"][:5] == ["triage", "--root", "/host", "--proc", "/proc"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_parse(script: Path) -> None:
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
