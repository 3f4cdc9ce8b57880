"""A command's words as a POSIX shell splits them, split once however many rules read them.

The analysis reads each persistence entry's command for its IOCs and for a tunnel; `shlex` is
pure Python, and splitting every command four times (two readers, and the triage analysed
twice) was a fifth of a triage over 10,000 crontabs (docs/performance.md). So the split is
cached (bounded, one entry's readers hit it back to back), and a command with no quote and no
backslash, nearly every crontab line, is split without `shlex`: with nothing quoted or
escaped, `shlex.split` only splits on its four whitespace characters, and so does the fast
path (`str.split()` would also split on form feeds and Unicode spaces, which `shlex` keeps
inside words).
"""

import contextlib
import re
import shlex
from functools import lru_cache

_QUOTING = re.compile(r"['\"\\]")
QUOTING_OR_COMMENT = re.compile(r"['\"\\#]")
_SHELL_SPACE = re.compile(r"[ \t\r\n]+")
"""`shlex`'s whitespace in POSIX mode."""
_SHELL_TOKEN = re.compile(r"[();<>|&]+|[^ \t\r\n();<>|&]+")
"""`shlex`'s tokens with `punctuation_chars`: runs of operator characters, and words."""
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


def shell_tokens(command: str) -> list[str]:
    """The words and operators (`&&`, `;`, `|`, `>`...) of a shell line, as `shlex` with
    `punctuation_chars` reads them (a comment `#` to the end of its line, and up to an unclosed
    quote). Without quote, backslash or `#`, a regular expression gives the same tokens at a
    tenth of the cost: every persistence command is read for the configs it starts."""
    if not QUOTING_OR_COMMENT.search(command):
        return _SHELL_TOKEN.findall(command)
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens: list[str] = []
    with contextlib.suppress(ValueError):  # an unclosed quote: what was read so far
        tokens.extend(lexer)
    return tokens
