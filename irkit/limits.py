"""Size caps on what irkit reads from a host and writes into a bundle.

A hostile host can offer a 1 TiB sparse crontab, /dev/zero as a process's environ or a
64 GiB sparse mapping. Every read is bounded by one of these caps; a playbook's `limits:`
section may change them, and a cap that is hit is named in the collection log.
"""

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    copy_bytes: int = 64 << 20
    """One copied host file (a config, script, unit or /proc file)."""
    executable_bytes: int = 512 << 20
    """One copied executable (a deleted executable recovered, a flagged one kept)."""
    hash_bytes: int = 4 << 30
    """The largest original hashed: a cut copy's record carries the whole original's hash,
    read on past the copy cap up to this many bytes; a larger one is "not hashed"."""
    proc_read_bytes: int = 16 << 20
    """One /proc file read for parsing (cmdline, environ, maps, status)."""
    dump_bytes: int = 4 << 30
    """One process memory dump (its core's memory bytes)."""
    dumps_total_bytes: int = 16 << 30
    """All process memory dumps of one run together."""


LIMIT_NAMES = tuple(f.name for f in fields(Limits))
