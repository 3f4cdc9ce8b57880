"""Exit codes shared by every command, so scripts and playbook runners can branch on them."""

from enum import IntEnum


class ExitCode(IntEnum):
    CLEAN = 0
    FINDINGS = 1
    USAGE = 2
    INCOMPLETE = 3


EXIT_CODES_HELP = (
    "Exit codes: 0 done and clean; 1 done with findings at or above the threshold "
    "(for verify: the bundle is not intact); 2 usage or input error; 3 collection incomplete."
)
