"""The irkit command line. Thin: it parses, calls the library and prints."""

from typing import Annotated

import typer

from irkit import __version__
from irkit.commands import playbook
from irkit.commands.collect import collect
from irkit.commands.memory import app as memory_app
from irkit.commands.review import review
from irkit.commands.rules import rules_app
from irkit.commands.scan import scan
from irkit.commands.timeline import timeline
from irkit.commands.triage import triage
from irkit.commands.verify import verify
from irkit.exitcodes import EXIT_CODES_HELP

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


def main() -> None:
    app(prog_name="irkit")
