"""How light irkit is on the host it runs on: a lower priority first, what it cost at the end.

A suspect production or GPU host must keep serving while it is triaged. irkit lowers its own
CPU priority (nice) and I/O class (idle) before anything runs, so hashing, YARA and dumps
take what the host's own work leaves; threads started later inherit both. The collection log
records the settings and, before the seal, the footprint: peak RSS, CPU seconds and bytes
written to storage. psutil is the portable way to set and read these for irkit's own process
(the host's processes are still read from /proc by the collectors).
"""

import resource
from typing import Any

import psutil

from irkit.evidence.log import CollectionLog

DEFAULT_NICE = 10


def lower_priority(log: CollectionLog, nice: int, io_idle: bool) -> None:
    """Lower (never raise) this process's CPU priority to `nice`, and its I/O class to idle."""
    me = psutil.Process()
    try:
        if me.nice() < nice:
            me.nice(nice)
        if io_idle:
            me.ionice(psutil.IOPRIO_CLASS_IDLE)
    except (psutil.Error, OSError) as exc:
        log.add("footprint", "irkit", "warning", f"could not lower irkit's priority: {exc}")
    log.add("footprint", "irkit", nice=me.nice(), io_class=_io_class(me))


def log_usage(log: CollectionLog) -> None:
    """What the run cost the host so far: peak RSS, CPU seconds, bytes written to storage."""
    me = psutil.Process()
    cpu = me.cpu_times()
    usage: dict[str, Any] = {
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "cpu_seconds": round(cpu.user + cpu.system, 2),
    }
    try:
        usage["bytes_written"] = me.io_counters().write_bytes
    except (psutil.Error, OSError, AttributeError):  # no /proc/self/io (no task accounting)
        usage["bytes_written"] = None
    log.add("footprint-end", "irkit", **usage)


def _io_class(me: psutil.Process) -> str:
    try:
        return str(me.ionice().ioclass.name).removeprefix("IOPRIO_CLASS_").lower()
    except (psutil.Error, OSError):
        return "unknown"
