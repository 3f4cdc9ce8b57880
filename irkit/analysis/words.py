"""A command's words as a POSIX shell splits them, split once however many rules read them.

The analysis reads each persistence entry's command for its IOCs and for a tunnel; `shlex` is
pure Python and splitting every command twice was a fifth of a triage over 10,000 crontabs
(docs/performance.md). So the split is cached (bounded, one entry's readers hit it back to
back), and a command with no quote and no backslash, nearly every crontab line, is split
without `shlex`: with nothing quoted or escaped, `shlex.split` only splits on its four
whitespace characters, and so does the fast path (`str.split()` would also split on form
feeds and Unicode spaces, which `shlex` keeps inside words).
"""

import re
import shlex
from functools import lru_cache

_QUOTING = re.compile(r"['\"\\]")
_SHELL_SPACE = re.compile(r"[ \t\r\n]+")
"""`shlex`'s whitespace in POSIX mode."""
CACHED_COMMANDS = 4096
"""Commands whose words are kept: enough for one entry's readers, bounded on a hostile host."""


@lru_cache(maxsize=CACHED_COMMANDS)
def command_words(command: str) -> tuple[str, ...]:
    """`shlex.split(command)`, or the plain whitespace split of a command it cannot parse (an
    unclosed quote); a tuple, so that no caller can change what the cache hands the next."""
    if not _QUOTING.search(command):
        return tuple(word for word in _SHELL_SPACE.split(command) if word)
    try:
        return tuple(shlex.split(command))
    except ValueError:
        return tuple(command.split())
