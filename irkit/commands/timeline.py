"""`irkit timeline`: export the timeline of one or more bundles for Timesketch or mactime."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO, cast

import typer

from irkit.console import err, host
from irkit.evidence.reader import BundleError
from irkit.evidence.view import BundleView
from irkit.exitcodes import ExitCode
from irkit.outfile import open_output_file
from irkit.review import load_view
from irkit.timeline import build_timeline, write_bodyfile, write_csv, write_jsonl


class TimelineFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    bodyfile = "bodyfile"


def load_views(paths: list[Path]) -> list[BundleView]:
    """Load each bundle or exit 2 naming the one that cannot be read."""
    views = []
    for path in paths:
        try:
            views.append(load_view(path))
        except (BundleError, OSError) as exc:
            err.print(f"[red]error:[/] {host(exc)}")
            raise typer.Exit(ExitCode.USAGE) from exc
        for problem in views[-1].problems:
            err.print(f"[yellow]warning:[/] {host(path)}: {host(problem)}")
    return views


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
        err.print(f"[red]error:[/] {host(path)} exists; pass --force to overwrite it")
        raise typer.Exit(ExitCode.USAGE) from exc
    except OSError as exc:
        err.print(f"[red]error:[/] cannot write {host(path)}: {host(exc.strerror)}")
        raise typer.Exit(ExitCode.USAGE) from exc
    with handle:
        yield handle


def timeline(
    bundles: Annotated[list[Path], typer.Argument(help="Bundle(s) (.zip); several are merged.")],
    format: Annotated[
        TimelineFormat, typer.Option("--format", "-f", help="jsonl (Timesketch), csv, bodyfile.")
    ] = TimelineFormat.jsonl,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite OUTPUT if it exists.")] = False,
) -> None:
    """Export every timestamped fact of the bundle(s), oldest first.

    jsonl and csv follow Timesketch's import format (message, datetime with +00:00,
    timestamp_desc, timestamp in microseconds, plus host, event_type, source_member and the
    source record). bodyfile is for `mactime -b`: one line per collected file. The bundle is
    read, not verified: run `irkit verify` (or `irkit review`) for that.
    """
    views = load_views(bundles)
    newline = "" if format is TimelineFormat.csv else None
    with open_text_output(output, force=force, newline=newline) as out:
        if format is TimelineFormat.bodyfile:
            count = write_bodyfile(views, out)
        elif format is TimelineFormat.csv:
            count = write_csv(build_timeline(views), out)
        else:
            count = write_jsonl(build_timeline(views), out)
    err.print(f"{count} {'files' if format is TimelineFormat.bodyfile else 'events'} written")
