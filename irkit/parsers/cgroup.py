"""/proc/PID/cgroup, and the container a cgroup path implies.

Runtimes name their cgroups differently (cgroupfs vs the systemd driver), so
each pattern below is one runtime's naming; the first that matches wins.
"""

import re
from dataclasses import dataclass

_HEX64 = r"([0-9a-f]{64})"
_RUNTIMES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cri-containerd", re.compile(rf"cri-containerd-{_HEX64}\.scope")),
    ("cri-o", re.compile(rf"crio-(?:conmon-)?{_HEX64}(?:\.scope)?")),
    ("podman", re.compile(rf"libpod-(?:conmon-)?{_HEX64}(?:\.scope)?")),
    ("docker", re.compile(rf"docker-{_HEX64}\.scope|/docker/{_HEX64}")),
)
_BARE_ID = re.compile(rf"/{_HEX64}$")
"""cgroupfs-driver kubelets name the container's cgroup by its bare id, under the pod's."""
_POD = re.compile(r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})")


@dataclass
class ContainerRef:
    runtime: str | None
    container_id: str | None
    pod_uid: str | None


def cgroup_path(text: str) -> str | None:
    """The unified (v2) path, else the first controller's path (v1)."""
    first = None
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            return parts[2]
        if first is None:
            first = parts[2]
    return first


def container_of(path: str | None) -> ContainerRef:
    if not path:
        return ContainerRef(None, None, None)
    pod = _POD.search(path)
    pod_uid = pod.group(1).replace("_", "-") if pod else None
    for runtime, pattern in _RUNTIMES:
        match = pattern.search(path)
        if match:
            return ContainerRef(runtime, next(g for g in match.groups() if g), pod_uid)
    if pod_uid is None:
        return ContainerRef(None, None, None)
    bare = _BARE_ID.search(path)
    return ContainerRef("kubernetes", bare.group(1) if bare else None, pod_uid)
