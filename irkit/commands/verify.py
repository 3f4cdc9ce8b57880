"""`irkit verify`: recompute every hash of a bundle without extracting it."""

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from irkit.console import err, host, out
from irkit.evidence.reader import BundleError
from irkit.evidence.verify import VerifyReport, verify_bundle
from irkit.exitcodes import ExitCode


def print_report(report: VerifyReport) -> None:
    if report.refused:
        err.print(f"[red]REFUSED[/] {host(report.bundle)}: {host(report.refused)}")
    for problem in report.problems:
        err.print(f"[red]✗[/] {host(problem.member)}: {host(problem.problem)}")
    if report.intact:
        state = "complete" if report.complete else "INCOMPLETE: " + str(report.incomplete_reason)
        err.print(
            f"[green]intact[/] {host(report.bundle)}: {report.members_checked} members verified"
            f" ({host(state)})"
        )
    elif not report.refused:
        err.print(f"[red]NOT INTACT[/] {host(report.bundle)}: {len(report.problems)} problem(s)")
    if report.manifest_sha256:
        err.print(f"manifest sha256  {report.manifest_sha256}")
    err.print(f"bundle sha256    {report.bundle_sha256}")


def verify_exit_code(report: VerifyReport) -> ExitCode:
    if report.refused:
        return ExitCode.USAGE
    return ExitCode.CLEAN if report.intact else ExitCode.FINDINGS


def verify(
    bundle: Annotated[Path, typer.Argument(help="The bundle (.zip) to check.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check a bundle's integrity against its manifest, without extracting anything.

    Every member's sha256 and size is recomputed; members missing from the archive or from
    the manifest, and unsafe names (absolute or '..'), are named. Nothing is written.

    Exit 0 intact (an interrupted collection can be intact and say INCOMPLETE), 1 not intact,
    2 refused or unreadable.
    """
    try:
        report = verify_bundle(bundle)
    except (BundleError, OSError) as exc:
        err.print(f"[red]error:[/] {host(exc)}")
        raise typer.Exit(ExitCode.USAGE) from exc
    if json_out:
        out.print_json(json.dumps(asdict(report) | {"intact": report.intact}))
    else:
        print_report(report)
    raise typer.Exit(verify_exit_code(report))
