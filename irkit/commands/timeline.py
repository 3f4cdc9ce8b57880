"""`irkit timeline`: export the timeline of one or more bundles for Timesketch or mactime."""

import hashlib
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO, cast

import typer

from irkit.commands.errors import output_errors
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
    with output_errors(path):
        opened = open_output_file(path, "w", force=force, encoding="utf-8", newline=newline)
    handle = cast(TextIO, opened)
    with handle:
        yield handle


SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def host_file_name(label: str, suffix: str) -> str:
    """A file name for a host's timeline: its name where that is plain, else a plain version
    with a hash of the real one (a hostname is host data: `../x` must stay one file here)."""
    plain = SAFE_NAME.sub("_", label)[:64].lstrip(".") or "host"
    if plain != label:
        plain += "-" + hashlib.sha256(label.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{plain}.{suffix}"


def _write(format: TimelineFormat, views: Sequence[BundleView], out: TextIO) -> int:
    if format is TimelineFormat.bodyfile:
        return write_bodyfile(views, out)
    if format is TimelineFormat.csv:
        return write_csv(build_timeline(views), out)
    return write_jsonl(build_timeline(views), out)


def _per_host(
    format: TimelineFormat, views: Sequence[BundleView], directory: str | None, force: bool
) -> int:
    """One file per host in `directory`, for Timesketch's one-timeline-per-file import."""
    if directory in (None, "-") or not Path(directory).is_dir():
        err.print("[red]error:[/] --per-host needs -o DIR, an existing directory")
        raise typer.Exit(ExitCode.USAGE)
    by_host: dict[str, list[BundleView]] = {}
    for view in views:
        by_host.setdefault(view.label, []).append(view)
    newline = "" if format is TimelineFormat.csv else None
    count = 0
    for label, host_views in by_host.items():
        target = str(Path(directory, host_file_name(label, format.value)))
        with open_text_output(target, force=force, newline=newline) as out:
            count += _write(format, host_views, out)
        err.print(f"{host(label)} → {host(target)}")
    return count


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
    per_host: Annotated[
        bool,
        typer.Option(
            "--per-host",
            help="One file per host in the directory -o names (Timesketch: one timeline each).",
        ),
    ] = False,
    trust: TrustOption = None,
    identity: IdentityOption = None,
) -> None:
    """Export every timestamped fact of the bundle(s), oldest first.

    jsonl and csv follow Timesketch's import format (message, datetime with +00:00,
    timestamp_desc, timestamp in microseconds, plus host, event_type, source_member and the
    source record, and bundle_integrity). bodyfile is for `mactime -b`: one line per collected
    file. Each bundle is verified first: one that is not intact stops the export (exit 1; exit 2
    for a file that is not an irkit bundle) unless --allow-not-intact: each row then says NOT
    INTACT. --per-host writes one file per host into the directory -o names (DIR/HOST.jsonl):
    Timesketch makes one timeline of each.
    """
    checked = verified_bundles(bundles, allow_not_intact, "export", trusted_keys(trust), identity)
    views = [bundle.view for bundle in checked]
    shown = _warn_problems(views, [0] * len(views))
    for banner in not_intact_banners(views):
        err.print(f"[bold red]{host(banner)}[/]")
    if per_host:
        count = _per_host(format, views, output, overwrite)
    else:
        newline = "" if format is TimelineFormat.csv else None
        with open_text_output(output, force=overwrite, newline=newline) as out:
            count = _write(format, views, out)
    _warn_problems(views, shown)
    err.print(f"{count} {'files' if format is TimelineFormat.bodyfile else 'events'} written")
