"""Miner program names: the one table the persistence analysis, the process analysis and
the YARA pack's launch rules agree on.

A name here is what a miner's binary, image or package is called by its authors (and the
usual spellings of its forks); renamed binaries are caught by other signals (options,
configs, memory). Keep `tests/test_miner_knowledge.py` in step: it checks that the pack's
launch rules name every program listed here.
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
