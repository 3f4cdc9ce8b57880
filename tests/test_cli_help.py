"""`irkit COMMAND --help` for every command and sub-command, against snapshots.

The help is rendered by the real CLI in a subprocess at a fixed width (100 columns), so a
changed option, default or docstring shows up as a diff in tests/fixtures/help/. After a
deliberate change, regenerate them with `IRKIT_UPDATE_HELP=1 python -m pytest
tests/test_cli_help.py` and read the diff.
"""

import inspect
import os
import subprocess
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from typer._click import Command  # typer bundles its own click
from typer.core import TyperGroup

from irkit.cli import COMMANDS as COMMAND_TABLE
from irkit.cli import load_command
from tests.conftest import irkit_command, irkit_env

SNAPSHOTS = Path(__file__).parent / "fixtures" / "help"
UPDATE = os.environ.get("IRKIT_UPDATE_HELP") == "1"
WIDTH = "100"
PINNED = "0.26."
"""pyproject.toml pins typer to 0.26.x: 0.27 and later show `<list[Path]>` for PATH..."""


def command_paths(command: Command, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    if isinstance(command, TyperGroup):
        for name in sorted(command.commands):
            yield from command_paths(command.commands[name], (*prefix, name))


def root_paths() -> Iterator[tuple[str, ...]]:
    """The root lists stand-ins; each command is loaded as it would be to run."""
    yield ()
    for name in COMMAND_TABLE:
        yield from command_paths(load_command(name), (name,))


COMMANDS = list(root_paths())


def snapshot_name(path: tuple[str, ...]) -> str:
    return "-".join(("irkit", *path)) + ".txt"


def render_help(path: tuple[str, ...]) -> str:
    env = irkit_env(COLUMNS=WIDTH, TERMINAL_WIDTH=WIDTH, NO_COLOR="1", TERM="dumb")
    done = subprocess.run(
        irkit_command(*path, "--help"), capture_output=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    return "\n".join(line.rstrip() for line in lines).strip("\n") + "\n"


def test_typer_is_the_pinned_version() -> None:
    assert version("typer").startswith(PINNED), (
        f"typer {version('typer')} is installed; the help snapshots are for typer {PINNED}x,"
        " the range pyproject.toml pins (pip install -e . or pip install 'typer>=0.26,<0.27')"
    )


def test_every_command_has_a_snapshot_and_no_snapshot_is_stale() -> None:
    expected = {snapshot_name(path) for path in COMMANDS}
    assert len(COMMANDS) > 15, "the command tree was walked"
    if not UPDATE:
        assert {p.name for p in SNAPSHOTS.glob("*.txt")} == expected


@pytest.mark.parametrize("path", COMMANDS, ids=snapshot_name)
def test_help_matches_its_snapshot(path: tuple[str, ...]) -> None:
    shown = render_help(path)
    assert "<list[" not in shown and "<bool>" not in shown, "types are shown as PATH, INTEGER"
    target = SNAPSHOTS / snapshot_name(path)
    if UPDATE:
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        target.write_text(shown, encoding="utf-8")
    assert shown == target.read_text(encoding="utf-8"), f"{target.name} differs"


@pytest.mark.parametrize("name", COMMAND_TABLE)
def test_the_listed_summary_is_the_command_s_own(name: str) -> None:
    """`irkit --help` lists COMMANDS' one-liners without importing any command."""
    command = load_command(name)
    own = inspect.cleandoc(command.help or "").split("\n\n")[0].replace("\n", " ")
    assert COMMAND_TABLE[name][1] == own
