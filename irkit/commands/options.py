"""Options that mean the same thing in every command, declared once.

`--overwrite` replaces an output file (`--force` is its older spelling, kept where it existed);
`--allow-not-intact` reads a bundle that fails verification; `--fail-on` is the severity that
makes the exit code 1, with one default everywhere; `--json` prints the result as JSON.
"""

from pathlib import Path
from typing import Annotated

import typer

from irkit.evidence.records import SEVERITIES

DEFAULT_FAIL_ON = "medium"
"""The threshold of every built-in playbook: a medium finding (a cron line piping curl into
sh, a YARA hit on a miner string) is worth a responder's look, in triage as in scan."""


def severity_option(value: str | None) -> str | None:
    """A --fail-on value must be a severity: a typo must not read as a clean run (exit 2)."""
    if value is not None and value not in SEVERITIES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(SEVERITIES)}")
    return value


FAIL_ON_HELP = f"Exit 1 when a finding is at or above this severity ({', '.join(SEVERITIES)})."
FailOnOption = Annotated[
    str, typer.Option("--fail-on", metavar="SEVERITY", callback=severity_option, help=FAIL_ON_HELP)
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the result as JSON on stdout (progress on stderr).")
]
OverwriteOption = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        "--force",
        help="Replace the output file(s) if they exist (--force: older name).",
    ),
]
AllowNotIntactOption = Annotated[
    bool,
    typer.Option(
        "--allow-not-intact",
        help="Go on with bundles that fail verification; every output then says NOT INTACT.",
    ),
]
ProcOption = Annotated[Path, typer.Option(help="procfs to read processes from.")]
