"""The irkit command line. Thin: it parses, calls the library and prints.

`main` owns the exit-code contract for irkit's own failures: no traceback reaches a
responder (one line, exit 4; the traceback with IRKIT_DEBUG=1), a full disk is 5 and a
closed output pipe 6, so that 1 keeps meaning findings and only that.
"""

import errno
import importlib
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import Annotated, Any, TextIO

import typer
from typer._click import Command, Context
from typer._click.exceptions import ClickException  # typer bundles its own click
from typer.core import TyperCommand, TyperGroup

from irkit import __version__
from irkit.evidence.sink import OutputLost, OutputPipeClosed
from irkit.exitcodes import EXIT_CODES_HELP, ExitCode
from irkit.interrupts import HANDLED_SIGNALS, CollectionStopped

COMMANDS: dict[str, tuple[str, str]] = {
    "triage": (
        "irkit.commands.triage:triage",
        "Triage this host for cryptomining: collect, hunt with YARA, analyse, seal one bundle.",
    ),
    "collect": (
        "irkit.commands.collect:collect",
        "Collect the host's state into one sealed evidence bundle (most volatile first).",
    ),
    "verify": (
        "irkit.commands.verify:verify",
        "Check a bundle's integrity against its manifest, without extracting anything.",
    ),
    "review": (
        "irkit.commands.review:review",
        "Verify each bundle, then print the verdict, findings by severity and IOCs.",
    ),
    "timeline": (
        "irkit.commands.timeline:timeline",
        "Export every timestamped fact of the bundle(s), oldest first.",
    ),
    "scan": (
        "irkit.commands.scan:scan",
        "Hunt with YARA in files, live process memory or memory images.",
    ),
    "rules": ("irkit.commands.rules:rules_app", "Work with YARA rule packs."),
    "playbook": (
        "irkit.commands.playbook:app",
        "List, show and validate playbooks (YAML files that decide what a triage runs).",
    ),
    "memory": (
        "irkit.commands.memory:app",
        "Process memory dumps, volatility3 symbol tables from BTF, memory image analysis.",
    ),
    "keys": ("irkit.commands.keys:keys_app", "Signing keys for bundles."),
    "archive": (
        "irkit.commands.archive:app",
        "The evidence archive: many bundles in one DuckDB file, questions across hosts"
        " (docs/archive.md). Needs DuckDB: pip install 'irkit[archive]'.",
    ),
}
"""Every command: where it is defined and its one-line help (tests/test_cli_help.py checks
that line against the command's own). Only the command that runs is imported: `irkit --help`
and `irkit scan` do not pay for volatility3, jinja2 or the collectors."""


def load_command(name: str) -> Command:
    """The real command `name`: a typer function becomes a command, a typer app a group."""
    where, _ = COMMANDS[name]
    module, attribute = where.split(":")
    defined = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer(add_completion=False)
    if isinstance(defined, typer.Typer):  # stays a group, even of one command (rules check)
        holder.add_typer(defined, name=name)
    else:
        holder.command(name)(defined)
    command = typer.main.get_command(holder)
    return plain(command.commands[name] if isinstance(command, TyperGroup) else command)


def plain(command: Command) -> Command:
    """Help as click writes it, in plain text (PATH, INTEGER, [default: ...]) rather than
    rich panels: typer's rich help imports rich's traceback, pretty and markdown machinery,
    which alone costs more than the 0.1 s a `--help` may take (docs/performance.md)."""
    command.rich_markup_mode = None  # type: ignore[attr-defined]
    for sub in getattr(command, "commands", {}).values():
        plain(sub)
    return command


class LazyGroup(TyperGroup):
    """The root group. It lists every command from COMMANDS (stand-ins with the one-line
    help, for `irkit --help` and completion) and loads only the one being run."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, (_, summary) in COMMANDS.items():
            stand_in = TyperCommand(name, help=summary, short_help=summary, rich_markup_mode=None)
            self.add_command(stand_in, name)

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        name, _, rest = super().resolve_command(ctx, args)
        if name is None:
            return name, None, rest
        loaded = load_command(name)
        self.commands[name] = loaded
        return name, loaded, rest


app = typer.Typer(
    name="irkit",
    cls=LazyGroup,
    rich_markup_mode=None,
    help="Incident-response collection and cryptominer hunting for Linux hosts.\n\n"
    + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"irkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Incident-response collection and cryptominer hunting for Linux hosts."""


OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""An uncaught OSError with one of these is the output failing, not a bug of irkit."""
INTERRUPTED = 130
"""Ctrl-C outside a collection (which seals and exits 3): the shell's own convention."""
COMPLETE_VAR = "_IRKIT_COMPLETE"
"""Set by the script `irkit --show-completion` prints: the shell asks for completions."""


def main(argv: Sequence[str] | None = None) -> None:
    """The `irkit` program. Once the command is done, SIGINT/SIGTERM are blocked: Python's
    finalisation restores their default action, and a late signal would turn the exit code
    of a sealed run into a death by signal."""
    code = run(sys.argv[1:] if argv is None else list(argv))
    signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
    sys.exit(code)


def run(args: list[str]) -> int:
    """Run one command and map every way it can end to an exit code."""
    command = typer.main.get_command(app)
    instruction = os.environ.get(COMPLETE_VAR)
    if instruction:  # click's completion protocol, which click's own main() would handle
        from typer.completion import shell_complete

        return shell_complete(command, {}, "irkit", COMPLETE_VAR, instruction)
    try:
        with command.make_context("irkit", args) as ctx:
            command.invoke(ctx)
        return ExitCode.CLEAN
    except typer.Exit as exc:
        return exc.exit_code
    except ClickException as exc:
        exc.show()
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        _say("[red]interrupted[/]")
        return INTERRUPTED
    except OutputPipeClosed as exc:
        return _pipe_closed(str(exc))
    except BrokenPipeError:
        return _pipe_closed("the output pipe was closed before everything was written")
    except OutputLost as exc:
        _say("[red]error:[/] {}", exc)
        return ExitCode.OUTPUT_FAILED
    except OSError as exc:
        if exc.errno not in OUTPUT_ERRNOS:
            return _internal_error(exc)
        _say("[red]error:[/] the output could not be written: {}", exc)
        return ExitCode.OUTPUT_FAILED
    except (Exception, CollectionStopped) as exc:  # a stop outside a collection is a bug
        return _internal_error(exc)


def _pipe_closed(message: str) -> int:
    """Say so once where that is still possible, and point the closed stream at /dev/null:
    Python's own flush at exit must not fail (it would exit 120). The closed pipe may be
    stdout (`-o - | head`) or stderr (`2>&1 | head`)."""
    _to_devnull(sys.stdout)
    try:
        _say("[red]error:[/] {}", message)
        sys.stderr.flush()
    except OSError:
        _to_devnull(sys.stderr)
    return ExitCode.BROKEN_PIPE


def _to_devnull(stream: TextIO) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stream.fileno())
    os.close(devnull)


def _internal_error(exc: BaseException) -> int:
    if os.environ.get("IRKIT_DEBUG") == "1":
        traceback.print_exception(exc)
    _say(
        "[red]internal error:[/] {}: {}; please report; details with IRKIT_DEBUG=1",
        type(exc).__name__,
        exc,
    )
    return ExitCode.INTERNAL


def _say(markup: str, *text: object) -> None:
    """One line on stderr, `text` made safe (irkit.console.host) into the {} of `markup`.
    The console is imported here: rich costs start-up time that most runs never need."""
    from irkit.console import err, host

    err.print(markup.format(*(host(t) for t in text)))
