"""The irkit command line. Thin: it parses, calls the library and prints.

`main` owns the exit-code contract for irkit's own failures: no traceback reaches a
responder (one line, exit 4; the traceback with IRKIT_DEBUG=1), a full disk is 5 and a
closed output pipe 6, so that 1 keeps meaning findings and only that.
"""

import errno
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import Annotated, TextIO

import typer
import typer.rich_utils
from typer._click.exceptions import ClickException  # typer bundles its own click

from irkit import __version__
from irkit.commands import playbook
from irkit.commands.archive import app as archive_app
from irkit.commands.collect import collect
from irkit.commands.keys import keys_app
from irkit.commands.memory import app as memory_app
from irkit.commands.review import review
from irkit.commands.rules import rules_app
from irkit.commands.scan import scan
from irkit.commands.timeline import timeline
from irkit.commands.triage import triage
from irkit.commands.verify import verify
from irkit.console import err, host
from irkit.evidence.sink import OutputLost, OutputPipeClosed
from irkit.exitcodes import EXIT_CODES_HELP, ExitCode
from irkit.interrupts import HANDLED_SIGNALS, CollectionStopped

app = typer.Typer(
    name="irkit",
    help="Incident-response collection and cryptominer hunting for Linux hosts.\n\n"
    + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
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


app.command()(triage)
app.command()(collect)
app.command()(verify)
app.command()(review)
app.command()(timeline)
app.command()(scan)
app.add_typer(rules_app)
app.add_typer(playbook.app, name="playbook")
app.add_typer(memory_app, name="memory")
app.add_typer(keys_app, name="keys")
app.add_typer(archive_app, name="archive")


OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""An uncaught OSError with one of these is the output failing, not a bug of irkit."""
INTERRUPTED = 130
"""Ctrl-C outside a collection (which seals and exits 3): the shell's own convention."""


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
    try:
        with command.make_context("irkit", args) as ctx:
            command.invoke(ctx)
        return ExitCode.CLEAN
    except typer.Exit as exc:
        return exc.exit_code
    except ClickException as exc:
        typer.rich_utils.rich_format_error(exc)
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err.print("[red]interrupted[/]")
        return INTERRUPTED
    except OutputPipeClosed as exc:
        return _pipe_closed(str(exc))
    except BrokenPipeError:
        return _pipe_closed("the output pipe was closed before everything was written")
    except OutputLost as exc:
        err.print(f"[red]error:[/] {host(exc)}")
        return ExitCode.OUTPUT_FAILED
    except OSError as exc:
        if exc.errno not in OUTPUT_ERRNOS:
            return _internal_error(exc)
        err.print(f"[red]error:[/] the output could not be written: {host(exc)}")
        return ExitCode.OUTPUT_FAILED
    except (Exception, CollectionStopped) as exc:  # a stop outside a collection is a bug
        return _internal_error(exc)


def _pipe_closed(message: str) -> int:
    """Say so once where that is still possible, and point the closed stream at /dev/null:
    Python's own flush at exit must not fail (it would exit 120). The closed pipe may be
    stdout (`-o - | head`) or stderr (`2>&1 | head`)."""
    _to_devnull(sys.stdout)
    try:
        err.print(f"[red]error:[/] {host(message)}")
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
    err.print(
        f"[red]internal error:[/] {host(type(exc).__name__)}: {host(exc)}; please report;"
        " details with IRKIT_DEBUG=1"
    )
    return ExitCode.INTERNAL
