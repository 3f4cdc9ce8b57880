"""Terminal output. Host text is attacker-controlled: control characters, ANSI escapes and
rich markup in it are neutralised before anything reaches a responder's terminal."""

import errno
import re

from rich.console import Console
from rich.markup import escape


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """rich exits 1 when its pipe closes, and 1 means findings here: raise instead, so
        that cli.run ends with the closed-pipe exit code (6)."""
        raise BrokenPipeError(errno.EPIPE, "the pipe to the terminal was closed")


err = _Console(stderr=True, highlight=False, soft_wrap=True)
out = _Console(highlight=False, soft_wrap=True)

INVISIBLE = "\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
"""Bidi controls (U+061C, U+200E/F, U+202A-E, U+2066-9) and zero-width characters (U+200B-D,
U+2060, U+FEFF): they reorder or hide text (`evil` U+202E `gnp.sh` shows as `evilhs.png`)."""
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff{INVISIBLE}]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def neutralize(text: str) -> str:
    """Control, C1, bidi and zero-width characters and undecodable bytes become visible
    `\\xNN` / `\\uNNNN` escapes."""
    return _CONTROL.sub(_escape_char, text)


def host(text: object) -> str:
    """Host text made safe for a rich console: no control characters, no markup."""
    return escape(neutralize(str(text)))
