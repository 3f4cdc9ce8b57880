"""`irkit timeline`: export the timeline of one or more bundles for Timesketch or mactime."""

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO, cast

import typer

from irkit.commands.options import AllowNotIntactOption, OverwriteOption
from irkit.commands.verify import IdentityOption, TrustOption, trusted_keys, verified_bundles
from irkit.console import err, host
from irkit.evidence.view import BundleView, not_intact_banners
from irkit.exitcodes import ExitCode
from irkit.outfile import open_output_file
from irkit.timeline import build_timeline, write_bodyfile, write_csv, write_jsonl


class TimelineFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    bodyfile = "bodyfile"


@contextmanager
def open_text_output(
    target: str | None, *, force: bool, newline: str | None = None
) -> Iterator[TextIO]:
    if target in (None, "-"):
        yield sys.stdout
        return
    path = Path(target)
    try:
        opened = open_output_file(path, "w", force=force, encoding="utf-8", newline=newline)
        handle = cast(TextIO, opened)
    except FileExistsError as exc:
        err.print(f"[red]error:[/] {host(path)} exists; pass --overwrite to replace it")
        raise typer.Exit(ExitCode.USAGE) from exc
    except OSError as exc:
        err.print(f"[red]error:[/] cannot write {host(path)}: {host(exc.strerror)}")
        raise typer.Exit(ExitCode.USAGE) from exc
    with handle:
        yield handle


def _warn_problems(views: Sequence[BundleView], shown: Sequence[int]) -> list[int]:
    """Warn of each view's problems past the `shown` first ones, and return how many each has
    now: reading records as their types during the export adds the records it skipped."""
    for view, already in zip(views, shown, strict=True):
        for problem in view.problems[already:]:
            err.print(f"[yellow]warning:[/] {host(view.label)}: {host(problem)}")
    return [len(view.problems) for view in views]


def timeline(
    bundles: Annotated[list[Path], typer.Argument(help="Bundle(s) (.zip); several are merged.")],
    format: Annotated[
        TimelineFormat, typer.Option("--format", "-f", help="jsonl (Timesketch), csv, bodyfile.")
    ] = TimelineFormat.jsonl,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    allow_not_intact: AllowNotIntactOption = False,
    overwrite: OverwriteOption = False,
    trust: TrustOption = None,
    identity: IdentityOption = None,
) -> None:
    """Export every timestamped fact of the bundle(s), oldest first.

    jsonl and csv follow Timesketch's import format (message, datetime with +00:00,
    timestamp_desc, timestamp in microseconds, plus host, event_type, source_member and the
    source record, and bundle_integrity). bodyfile is for `mactime -b`: one line per collected
    file. Each bundle is verified first: one that is not intact stops the export (exit 1; exit 2
    for a file that is not an irkit bundle) unless --allow-not-intact: each row then says NOT
    INTACT.
    """
    checked = verified_bundles(bundles, allow_not_intact, "export", trusted_keys(trust), identity)
    views = [bundle.view for bundle in checked]
    shown = _warn_problems(views, [0] * len(views))
    for banner in not_intact_banners(views):
        err.print(f"[bold red]{host(banner)}[/]")
    newline = "" if format is TimelineFormat.csv else None
    with open_text_output(output, force=overwrite, newline=newline) as out:
        if format is TimelineFormat.bodyfile:
            count = write_bodyfile(views, out)
        elif format is TimelineFormat.csv:
            count = write_csv(build_timeline(views), out)
        else:
            count = write_jsonl(build_timeline(views), out)
    _warn_problems(views, shown)
    err.print(f"{count} {'files' if format is TimelineFormat.bodyfile else 'events'} written")
