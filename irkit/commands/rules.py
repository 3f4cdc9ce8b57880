"""`irkit rules check`: compile and lint a rule pack, naming file and line of each problem."""

import json
from pathlib import Path
from typing import Annotated

import typer

from irkit.commands.options import JsonOption
from irkit.console import err, host
from irkit.exitcodes import ExitCode
from irkit.hunt.lint import check_rules
from irkit.hunt.rules import default_rules_path

rules_app = typer.Typer(
    name="rules", help="Work with YARA rule packs.", no_args_is_help=True, add_completion=False
)


@rules_app.command("check")
def check(
    source: Annotated[
        Path | None,
        typer.Argument(
            help="Rule file or directory (default: the shipped pack).", show_default=False
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Compile every rule file and check each rule has meta description, severity (a known
    level), reference, mitre and date, and a name unique in the set. Exit 0 clean
    (warnings allowed), 2 on any error."""
    report = check_rules(source or default_rules_path())
    if json_out:
        print(
            json.dumps(
                {
                    "files": report.files,
                    "rules": report.rules,
                    "problems": [
                        {"file": p.file, "line": p.line, "level": p.level, "message": p.message}
                        for p in report.problems
                    ],
                },
                indent=2,
            )
        )
    for problem in report.problems:
        colour = "red" if problem.level == "error" else "yellow"
        err.print(f"[{colour}]{host(problem)}[/]")
    if report.errors:
        err.print(f"[red]{len(report.errors)} error(s)[/] in {len(report.files)} file(s)")
        raise typer.Exit(ExitCode.USAGE)
    err.print(f"[green]ok[/] {report.rules} rules in {len(report.files)} file(s)")
