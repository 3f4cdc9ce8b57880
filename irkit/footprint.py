"""How light irkit is on the host it runs on: a lower priority first, what it cost at the end.

A suspect production or GPU host must keep serving while it is triaged. irkit lowers its own
CPU priority (nice) and I/O class (idle) before anything runs, so hashing, YARA and dumps
take what the host's own work leaves; threads started later inherit both. Nice only yields to
busier work: on an idle host irkit still takes every core, which heats a GPU node's shared CPU
or trips a CPU alert, so `--max-cpu PCT` caps the CPU that hashing and YARA take (a duty
cycle: they sleep between pieces of work). The collection log records the settings and,
before the seal, the footprint: peak RSS, CPU seconds, bytes written to storage and the time
the cap held irkit back. psutil is the portable way to set and read these for irkit's own
process (the host's processes are still read from /proc by the collectors); it is imported
where it is used, since the throttle hook is on `irkit scan`'s path and psutil's import would
be a tenth of that command's start-up.
"""

import resource
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psutil

    from irkit.evidence.log import CollectionLog

DEFAULT_NICE = 10

WINDOW_SECONDS = 1.0
"""The duty cycle's window: the CPU share is measured over the last second or so, so an idle
stretch (walking /proc, waiting for the disk) earns no burst at full speed afterwards."""

LONGEST_PAUSE = 0.5
"""One pause at most: a signal or the deadline of a scan is never far away."""


class CpuThrottle:
    """Hold this process to `percent` of one CPU (as top counts it: 200 is two full cores),
    measured over all its threads: a caller that finds the share spent sleeps it off.

    The CPU clock is the process's own (time.process_time: every thread, one cheap syscall),
    read at each call of the hook rather than sampled in a thread of its own.
    """

    def __init__(
        self,
        percent: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        cpu: Callable[[], float] = time.process_time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.percent = percent
        self._share = percent / 100
        self._clock, self._cpu, self._sleep = clock, cpu, sleep
        self._lock = threading.Lock()
        self._wall0, self._cpu0 = clock(), cpu()
        self.slept = 0.0
        """Seconds the cap has held irkit back (all threads together)."""

    def pause(self) -> None:
        """Sleep as long as the CPU used in this window exceeds the share of its wall time."""
        with self._lock:
            now, used = self._clock(), self._cpu()
            wall, spent = now - self._wall0, used - self._cpu0
            debt = spent / self._share - wall
            if wall >= WINDOW_SECONDS:
                # A new window starts once the debt is slept off: a long libyara pass that
                # overran the share is paid back in full, LONGEST_PAUSE at a time.
                self._wall0, self._cpu0 = now + max(debt, 0.0), used
            if debt <= 0:
                return
            pause = min(debt, LONGEST_PAUSE)
            self.slept += pause
        self._sleep(pause)


_throttle: CpuThrottle | None = None


def limit_cpu(percent: int | None) -> None:
    """Cap the CPU of the hashing and YARA loops from now on (None: no cap)."""
    global _throttle
    _throttle = None if percent is None else CpuThrottle(percent)


def throttle() -> None:
    """The hook the hashing and YARA loops call between pieces of work (a chunk, a buffer):
    nothing without `--max-cpu`, else a pause while irkit is over its share."""
    if _throttle is not None:
        _throttle.pause()


def lower_priority(log: "CollectionLog", nice: int, io_idle: bool) -> None:
    """Lower (never raise) this process's CPU priority to `nice`, and its I/O class to idle."""
    import psutil

    me = psutil.Process()
    try:
        if me.nice() < nice:
            me.nice(nice)
        if io_idle:
            me.ionice(psutil.IOPRIO_CLASS_IDLE)
    except (psutil.Error, OSError) as exc:
        log.add("footprint", "irkit", "warning", f"could not lower irkit's priority: {exc}")
    max_cpu = None if _throttle is None else _throttle.percent
    log.add("footprint", "irkit", nice=me.nice(), io_class=_io_class(me), max_cpu=max_cpu)


def log_usage(log: "CollectionLog") -> None:
    """What the run cost the host so far: peak RSS, CPU seconds, bytes written to storage, and
    how long `--max-cpu` held it back (None without a cap)."""
    import psutil

    me = psutil.Process()
    cpu = me.cpu_times()
    usage: dict[str, Any] = {
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "cpu_seconds": round(cpu.user + cpu.system, 2),
        "throttled_seconds": None if _throttle is None else round(_throttle.slept, 2),
    }
    try:
        usage["bytes_written"] = me.io_counters().write_bytes
    except (psutil.Error, OSError, AttributeError):  # no /proc/self/io (no task accounting)
        usage["bytes_written"] = None
    log.add("footprint-end", "irkit", **usage)


def _io_class(me: "psutil.Process") -> str:
    import psutil

    try:
        return str(me.ionice().ioclass.name).removeprefix("IOPRIO_CLASS_").lower()
    except (psutil.Error, OSError):
        return "unknown"
