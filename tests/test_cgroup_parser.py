"""Container ids from cgroup paths, one case per runtime naming, and lines that are not cgroups."""

import pytest

from irkit.parsers.cgroup import cgroup_path, container_of

ID = "0123456789abcdef" * 4
POD = "12345678-90ab-cdef-1234-567890abcdef"


@pytest.mark.parametrize(
    ("path", "runtime", "container", "pod"),
    [
        (f"/system.slice/docker-{ID}.scope", "docker", ID, None),
        (f"/docker/{ID}", "docker", ID, None),
        (f"/machine.slice/libpod-{ID}.scope", "podman", ID, None),
        (f"/system.slice/crio-{ID}.scope", "cri-o", ID, None),
        (
            f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
            f"{POD.replace('-', '_')}.slice/cri-containerd-{ID}.scope",
            "cri-containerd",
            ID,
            POD,
        ),
        (f"/kubepods/besteffort/pod{POD}/{ID}", "kubernetes", ID, POD),
        ("/user.slice/user-1000.slice/session-3.scope", None, None, None),
        (None, None, None, None),
    ],
)
def test_container_of(path: str | None, runtime: str, container: str, pod: str) -> None:
    ref = container_of(path)
    assert (ref.runtime, ref.container_id, ref.pod_uid) == (runtime, container, pod)


def test_cgroup_path_prefers_the_unified_hierarchy() -> None:
    v1_and_v2 = "12:cpu,cpuacct:/docker/abc\n0::/system.slice/ssh.service\n"
    assert cgroup_path(v1_and_v2) == "/system.slice/ssh.service"
    assert cgroup_path("4:memory:/docker/abc\nnot a cgroup line\n") == "/docker/abc"
    assert cgroup_path("\xff garbage") is None
