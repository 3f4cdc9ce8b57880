"""Exit codes shared by every command, so scripts and playbook runners can branch on them."""

from enum import IntEnum


class ExitCode(IntEnum):
    CLEAN = 0
    FINDINGS = 1
    USAGE = 2
    INCOMPLETE = 3
    INTERNAL = 4
    """irkit itself failed (an uncaught error): a bug to report, never a verdict on the host."""
    OUTPUT_FAILED = 5
    """The output could not be written (disk full, I/O error)."""
    BROKEN_PIPE = 6
    """The reader of `-o -` went away before the bundle was sealed."""
    UNSIGNED = 7
    """verify --trust: the bundle is intact but carries no signature."""
    UNTRUSTED = 8
    """verify --trust: intact and validly signed, by a key that is not trusted."""


EXIT_CODES_HELP = (
    "Exit codes: 0 done and clean; 1 done with findings at or above the threshold "
    "(for verify: the bundle is not intact); 2 usage or input error; 3 collection incomplete; "
    "4 internal error of irkit; 5 the output could not be written (disk full, I/O error); "
    "6 the output pipe was closed; "
    "verify --trust: 7 intact but unsigned, 8 signed by a key that is not trusted "
    "(a signature that does not match is 1, not intact)."
)
