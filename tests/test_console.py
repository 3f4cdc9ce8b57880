"""The terminal consoles: a plain line is written as rich writes it, without loading rich.

`irkit.console.err`/`out` load rich on the first line that needs it (markup, a table, a control
character): its import is a fifth of `irkit scan`'s start-up (docs/performance.md).
"""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irkit import console
from tests.hostile.fuzzing import fuzz_settings

REPO = Path(__file__).resolve().parent.parent


def rich_writes(text: str) -> str:
    """What rich itself prints for `text`, with the consoles' own settings."""
    stream = io.StringIO()
    rich = console._rich_console(stderr=False)
    rich.file = stream
    rich.print(text)
    return stream.getvalue()


def lazy_writes(text: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    console.LazyConsole(stderr=False).print(text)
    return capsys.readouterr().out


@fuzz_settings(300)
@given(text=st.text())
def test_every_line_prints_as_rich_prints_it(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Markup, control characters, emoji codes, anything: the direct path and rich agree."""
    text = text.encode("utf-8", "replace").decode()  # stdout cannot encode lone surrogates
    assert lazy_writes(text, capsys) == rich_writes(text)


@pytest.mark.parametrize(
    "text",
    [
        "0 hit(s); 3 file(s) scanned, 1 skipped",
        "a]b \\ c:smile: d",
        "[red]error:[/] x",
        "tab\there",
        "\\[not markup]",
        "bell\x07 and \x1b[31m escape",
    ],
)
def test_known_lines_print_as_rich_prints_them(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert lazy_writes(text, capsys) == rich_writes(text)


def test_emoji_codes_from_the_host_stay_text() -> None:
    """rich.markup.escape leaves `:skull:` alone: the consoles do not turn codes into emoji."""
    assert rich_writes(console.host(":skull: x")) == ":skull: x\n"


def test_a_plain_line_does_not_load_rich() -> None:
    probe = (
        "import sys\nfrom irkit.console import err, out\n"
        "out.print('plain line'); err.print('another, with ] and :codes:')\n"
        "print(sorted(m for m in sys.modules if m.startswith('rich')), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, cwd=REPO, timeout=120, check=True
    )
    assert done.stdout == b"plain line\n"
    assert done.stderr.decode().splitlines() == ["another, with ] and :codes:", "[]"]


def test_markup_loads_rich_and_is_rendered() -> None:
    probe = "from irkit.console import err\nerr.print('[red]error:[/] x')\n"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, cwd=REPO, timeout=120, check=True
    )
    assert done.stderr == b"error: x\n"
