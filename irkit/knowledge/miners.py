"""Miner program names: the one table the persistence analysis, the process analysis and
the YARA pack's launch rules agree on.

A name here is what a miner's binary, image or package is called by its authors (and the
usual spellings of its forks); renamed binaries are caught by other signals (options,
configs, memory). `tests/test_hunt_families.py` checks that the pack's launch rules name every
program listed here; the pack spells the names out (there is no rule generator), so a name
added here needs a rule edit too.
"""

import re

MINER_PROGRAMS: tuple[str, ...] = (
    "xmrig",
    "xmrig-cuda",
    "xmrig-nvidia",
    "xmrig-amd",
    "xmrig-proxy",
    "xmr-stak",
    "xmr-stak-rx",
    "xmrminer",
    "t-rex",
    "lolminer",
    "nbminer",
    "gminer",
    "miner.exe",
    "teamredminer",
    "srbminer",
    "srbminer-multi",
    "nanominer",
    "bzminer",
    "rigel",
    "ccminer",
    "cpuminer",
    "cpuminer-opt",
    "cpuminer-multi",
    "minerd",
    "cgminer",
    "bfgminer",
    "ethminer",
    "phoenixminer",
    "onezerominer",
    "wildrig-multi",
    "kawpowminer",
    "nheqminer",
    "cryptodredge",
    "z-enemy",
    "hellminer",
)
"""Lower-case program names; matching is case-insensitive (lolMiner, SRBMiner-MULTI)."""

MINER_NAME_PATTERN = "|".join(
    re.escape(name) for name in sorted(MINER_PROGRAMS, key=len, reverse=True)
)
"""Alternation of every name, longest first so `xmrig-cuda` wins over `xmrig`."""

MINER_NAMES = re.compile(rf"(?i)(?<![\w-])({MINER_NAME_PATTERN})(?![\w-])")
"""A miner's name as a word of a command line or path (`/opt/xmrig/xmrig`, `t-rex.exe`)."""

PROGRAM_ONLY_NAMES: tuple[str, ...] = ("miner",)
"""Names too common to be a miner's as a word of text, but one as the program a command runs:
GMiner's Linux binary is plain `miner` (`./miner --algo kawpow --server ...`)."""

PROGRAM_ONLY = re.compile(
    rf"(?i)(?:^[ \t]*|(?:^|[\s;&|(])(?:\.|/\S*)?/)({'|'.join(PROGRAM_ONLY_NAMES)})(?=[\s;&|)]|$)"
)
"""One of PROGRAM_ONLY_NAMES as the first word of a command or a path's last part (`./miner`,
`/opt/gm/miner`); `echo miner` or `a miner's` is none."""


NAME_PARTS = ("miner", "xmr", "t-rex", "rigel", "wildrig", "cryptodredge", "z-enemy")
"""One of these is part of every name above (`tests/test_miner_names.py` checks it): ASCII
text that holds none names no miner, which is most command lines, and a `str` search is a
tenth of the cost of the two case-insensitive patterns."""


def names_a_miner(command: str) -> bool:
    """Whether a command line or path names a miner program (MINER_NAMES or PROGRAM_ONLY)."""
    if command.isascii():  # non-ASCII text may match by Unicode case folding (ſ for s)
        lower = command.lower()
        if not any(part in lower for part in NAME_PARTS):
            return False
    return bool(MINER_NAMES.search(command) or PROGRAM_ONLY.search(command))
