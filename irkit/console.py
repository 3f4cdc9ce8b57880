"""Terminal output. Host text is attacker-controlled: control characters, ANSI escapes and
rich markup in it are neutralised before anything reaches a responder's terminal.

rich renders the markup, colours and tables, but importing it is a fifth of `irkit scan`'s
start-up (docs/performance.md, "Start-up"): `err` and `out` load it on the first line that
needs it. A line with nothing for rich to do (no markup, no control character) is written as
rich would write it, directly, so a command that prints only such lines never loads rich.
"""

import errno
import re
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

INVISIBLE = "\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
"""Bidi controls (U+061C, U+200E/F, U+202A-E, U+2066-9) and zero-width characters (U+200B-D,
U+2060, U+FEFF): they reorder or hide text (`evil` U+202E `gnp.sh` shows as `evilhs.png`)."""
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff{INVISIBLE}]")
_PLAIN = re.compile(f"[^\\[\x00-\x1f\x7f-\x9f\ud800-\udfff{INVISIBLE}]*")
"""A line rich would print unchanged (its markup opens with `[`; emoji codes are off; tabs
and other control characters it expands or strips)."""


class LazyConsole:
    """A rich Console made on first use; plain lines are written without it. Every attribute
    but `print` is the Console's own, so callers use it as one (it is typed as one)."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def rich(self) -> "Console":
        if self._console is None:
            self._console = _rich_console(stderr=self._stderr)
        return self._console

    def print(self, *objects: Any, **options: Any) -> None:
        """rich's `Console.print`; one plain string is written and flushed as rich would."""
        line = objects[0] if len(objects) == 1 and not options else None
        if isinstance(line, str) and _PLAIN.fullmatch(line):
            stream = sys.stderr if self._stderr else sys.stdout
            stream.write(line + "\n")
            stream.flush()
            return
        self.rich.print(*objects, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rich, name)


def _rich_console(*, stderr: bool) -> "Console":
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            """rich exits 1 when its pipe closes, and 1 means findings here: raise instead, so
            that cli.run ends with the closed-pipe exit code (6)."""
            raise BrokenPipeError(errno.EPIPE, "the pipe to the terminal was closed")

    # emoji off: `:skull:` in host text is not markup that rich.markup.escape neutralises.
    return _Console(stderr=stderr, highlight=False, soft_wrap=True, emoji=False)


if TYPE_CHECKING:
    err: Console
    out: Console
else:
    err = LazyConsole(stderr=True)
    out = LazyConsole(stderr=False)


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
    from rich.markup import escape

    return escape(neutralize(str(text)))
