"""What a collection could not see, derived from its log, and who collected it.

Every reader already logs a denied read (EACCES/EPERM) where it happens: a copy, a
listing, /proc/PID fields (one line per field with the pids), a hunt target. Reading
the denials back from the one log means every collector counts without changing, and a
run as `nobody` over root-only files can no longer say "CLEAN, complete" when it was blind.
"""

import errno
import os
from collections.abc import Iterable, Mapping
from typing import Any

from irkit.evidence.log import LogEntry

DENIED_WORDS = ("PermissionError", os.strerror(errno.EACCES), os.strerror(errno.EPERM))
NAMED_PATHS = 5
"""Paths named one by one in a reason; beyond that they are counted."""
PRIVILEGED_CAPS = {1: "CAP_DAC_OVERRIDE", 2: "CAP_DAC_READ_SEARCH", 19: "CAP_SYS_PTRACE"}
"""What reading every file and every process of a host takes."""


def collecting_identity(status_path: str = "/proc/self/status") -> dict[str, Any]:
    """uid, euid, gid and effective capabilities of this process (irkit's own, never the
    host's: /proc/self of the machine irkit runs on), and whether they read everything."""
    identity: dict[str, Any] = {
        "uid": os.getuid(),
        "euid": os.geteuid(),
        "gid": os.getgid(),
        "cap_eff": None,
    }
    try:
        with open(status_path, "rb") as status:
            for line in status.read(1 << 16).splitlines():
                if line.startswith(b"CapEff:"):
                    identity["cap_eff"] = line.split(b":", 1)[1].strip().decode("ascii")
    except (OSError, UnicodeDecodeError):
        pass
    try:
        caps = int(identity["cap_eff"], 16) if identity["cap_eff"] else None
    except ValueError:
        caps = None
    if caps is None:
        identity["privileged"] = identity["euid"] == 0
    else:
        identity["privileged"] = all(caps >> bit & 1 for bit in PRIVILEGED_CAPS)
    return identity


def _as_dict(entry: object) -> object:
    return entry.to_dict() if isinstance(entry, LogEntry) else entry


def _denied(error: object) -> bool:
    return isinstance(error, str) and any(word in error for word in DENIED_WORDS)


def unseen(entries: Iterable[LogEntry | Mapping[str, Any]]) -> list[str]:
    """What could not be read, in words: '/proc/PID/exe of 45 processes', '/etc/sudoers'."""
    proc_fields: dict[str, set[str]] = {}
    paths: list[str] = []
    for raw in entries:
        entry = _as_dict(raw)
        if not isinstance(entry, Mapping) or not _denied(entry.get("error")):
            continue  # a log read back from a bundle may hold anything
        detail = entry.get("detail")
        detail = detail if isinstance(detail, Mapping) else {}
        if "field" in detail and isinstance(detail.get("pids"), list):
            pids = {str(pid) for pid in detail["pids"] if isinstance(pid, int | str)}
            proc_fields.setdefault(str(detail["field"]), set()).update(pids)
            continue
        what = detail.get("path") or detail.get("target") or entry.get("step")
        if str(what) not in paths:
            paths.append(str(what))
    items = [f"/proc/PID/{field} of {len(pids)} process(es)" for field, pids in
             sorted(proc_fields.items())]  # fmt: skip
    items += paths[:NAMED_PATHS]
    if len(paths) > NAMED_PATHS:
        items.append(f"{len(paths) - NAMED_PATHS} more path(s)")
    return items


def failed_hunts(entries: Iterable[LogEntry | Mapping[str, Any]]) -> list[str]:
    """Hunts that ended on an error: their remaining targets were never scanned."""
    names: list[str] = []
    for raw in entries:
        entry = _as_dict(raw)
        if not isinstance(entry, Mapping):
            continue
        detail = entry.get("detail")
        if entry.get("step") == "hunt" and entry.get("outcome") == "error":
            name = str(detail.get("hunt") if isinstance(detail, Mapping) else None)
            if name not in names:
                names.append(name)
    return names


def coverage_reason(entries: Iterable[LogEntry | Mapping[str, Any]]) -> str | None:
    """The incomplete reason a bundle gets when reads were denied or a hunt died, else None."""
    logged = list(entries)
    reasons = []
    if items := unseen(logged):
        reasons.append("reads denied: " + ", ".join(items))
    if hunts := failed_hunts(logged):
        reasons.append("hunt(s) failed: " + ", ".join(hunts))
    return "; ".join(reasons) or None


def caveat(reason: str, items: list[str]) -> str:
    """A verdict's reason, told that it holds only for what could be read."""
    if not items:
        return reason
    return f"as far as could be seen — not readable: {', '.join(items)}; {reason}"
