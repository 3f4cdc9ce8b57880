"""`irkit archive`: index many bundles into one DuckDB file and ask questions across hosts."""

import csv
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from irkit.archive.database import ArchiveError, connect, writable_archive
from irkit.archive.export import export_parquet
from irkit.archive.fleet import fleet_report
from irkit.archive.index import IndexSummary, index_bundles
from irkit.archive.load import LoadedBundle
from irkit.archive.questions import (
    EXECUTABLES,
    FLEET,
    HOSTS_BY_IOC,
    PERSISTENCE,
    PREVALENCE,
    PROBLEMS,
    SEEN,
    Answer,
    ask,
    json_value,
    only_intact_bundles,
)
from irkit.commands.errors import output_errors, usage_error
from irkit.commands.options import JsonOption, OverwriteOption
from irkit.commands.verify import TrustOption, trusted_keys
from irkit.console import err, host, neutralize, out
from irkit.exitcodes import ExitCode
from irkit.outfile import open_output_file

app = typer.Typer(
    help="The evidence archive: many bundles in one DuckDB file, questions across hosts"
    " (docs/archive.md). Needs DuckDB: pip install 'irkit[archive]'.",
    no_args_is_help=True,
)

ArchiveArgument = Annotated[Path, typer.Argument(help="The archive (.duckdb) made by index.")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print the rows as CSV.")]
IntactOption = Annotated[
    bool,
    typer.Option(
        "--intact-only", help="Answer from bundles that verified intact only (rows trusted)."
    ),
]
MinHostsOption = Annotated[
    int, typer.Option("--min-hosts", min=1, help="Seen on at least N hosts.")
]


@contextmanager
def archive_errors() -> Iterator[None]:
    """An archive that cannot be opened, no DuckDB, or SQL DuckDB refuses: one line, exit 2."""
    try:
        yield
    except ArchiveError as exc:
        raise usage_error(exc) from exc
    except Exception as exc:
        duckdb = sys.modules.get("duckdb")
        if duckdb is not None and isinstance(exc, duckdb.InterruptException):
            raise KeyboardInterrupt from exc  # DuckDB's own answer to Ctrl-C
        if duckdb is not None and isinstance(exc, duckdb.Error):
            raise usage_error(exc) from exc
        raise


@contextmanager
def reading(archive: Path, intact: bool = False) -> Iterator[Any]:
    """The archive opened read-only; with `intact`, showing only bundles that verified intact."""
    with archive_errors():
        connection = connect(archive, read_only=True)
        try:
            if intact:
                only_intact_bundles(connection)
            yield connection
        finally:
            connection.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_cell(item) for item in value)
    return neutralize(str(json_value(value)))


def print_answer(answer: Answer, *, json_out: bool, csv_out: bool) -> None:
    """The rows as a table (host text neutralised), a JSON array, or CSV."""
    if json_out:
        out.print_json(json.dumps(answer.records(), ensure_ascii=True))
        return
    if csv_out:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(answer.columns)
        writer.writerows([_cell(value) for value in row] for row in answer.rows)
        return
    table = Table(*answer.columns, show_lines=False)
    for row in answer.rows:
        table.add_row(*(host(_cell(value)) for value in row))
    out.print(table)
    err.print(f"{len(answer.rows)} row(s)")


def _question(sql: str, **parameters: Any) -> Callable[[Path, bool, bool, bool], None]:
    def run(archive: Path, json_out: bool, csv_out: bool, intact: bool = False) -> None:
        with reading(archive, intact) as connection, archive_errors():
            print_answer(ask(connection, sql, parameters), json_out=json_out, csv_out=csv_out)

    return run


def _report_bundle(loaded: LoadedBundle) -> None:
    bundle = loaded.bundle
    where = host(bundle.get("path"))
    if bundle.get("refused"):
        err.print(f"[red]REFUSED[/] {where}: {host(bundle['refused'])}")
    elif not bundle.get("intact"):
        first = "; ".join(bundle.get("problems") or [])[:300]
        err.print(f"[red]NOT INTACT[/] {where}: {host(first)}")
    elif bundle.get("complete") is False:
        err.print(f"[yellow]INCOMPLETE[/] {where}: {host(bundle.get('incomplete_reason'))}")


def _print_summary(archive: Path, summary: IndexSummary) -> None:
    for line in summary.skipped:
        err.print(f"[yellow]skipped[/] {host(line)}")
    for line in summary.failed:
        err.print(f"[red]FAILED[/] {host(line)} (not indexed; the next index tries it again)")
    err.print(
        f"{summary.found} bundle file(s) found: {summary.indexed} indexed ({summary.rows} rows),"
        f" {summary.unchanged} already indexed, {summary.duplicates} copies of indexed bundles;"
        f" {summary.not_intact} not intact ({summary.refused} refused),"
        f" {summary.incomplete} incomplete, {len(summary.failed)} failed → {host(archive)}"
    )


@app.command()
def index(
    directories: Annotated[
        list[Path], typer.Argument(help="Directories searched for *.zip bundles, or bundles.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The archive: created, or added to.")
    ],
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            show_default=False,
            help="Bundles verified at once (default: the number of cores, at most 8).",
        ),
    ] = None,
    intact_only: Annotated[
        bool,
        typer.Option(
            "--intact-only", help="Load no records of a bundle that is not intact (its row stays)."
        ),
    ] = False,
    trust: TrustOption = None,
    json_out: JsonOption = False,
) -> None:
    """Verify every bundle under DIRECTORIES and load its records into one DuckDB file.

    Re-indexing adds only what is new (a file whose path, size and mtime are indexed is not
    read again). A bundle that is not intact is indexed with its records marked untrusted
    (none with --intact-only). Exit 0 when every bundle is intact and complete, 1 when one
    is not intact, 3 when one is incomplete or could not be indexed, 2 for a usage error.
    """
    trusted = trusted_keys(trust)
    with archive_errors(), writable_archive(output) as connection:
        summary = index_bundles(
            connection,
            directories,
            jobs=jobs or min(8, os.cpu_count() or 1),
            intact_only=intact_only,
            trusted=trusted,
            on_bundle=_report_bundle,
        )
    _print_summary(output, summary)
    if json_out:
        out.print_json(json.dumps({"archive": str(output), **asdict(summary)}, ensure_ascii=True))
    if summary.not_intact:
        raise typer.Exit(ExitCode.FINDINGS)
    if summary.incomplete or summary.failed:
        raise typer.Exit(ExitCode.INCOMPLETE)


@app.command()
def query(
    archive: ArchiveArgument,
    sql: Annotated[str, typer.Argument(help="A SQL query (DuckDB), run read-only.")],
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    intact: IntactOption = False,
) -> None:
    """Run SQL against the archive, read-only (tables: docs/archive.md)."""
    _question(sql)(archive, json_out, csv_out, intact)


@app.command()
def hosts(
    archive: ArchiveArgument,
    ioc: Annotated[
        str | None,
        typer.Option(
            "--ioc",
            help="A value (wallet, pool, address, sha256...): the hosts where it was seen.",
        ),
    ] = None,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    intact: IntactOption = False,
) -> None:
    """The hosts that carry an IOC (--ioc), or every host with its latest verdict."""
    sql, parameters = (HOSTS_BY_IOC, {"value": ioc}) if ioc is not None else (FLEET, {})
    _question(sql, **parameters)(archive, json_out, csv_out, intact)


@app.command()
def prevalence(
    archive: ArchiveArgument,
    min_hosts: MinHostsOption = 1,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    intact: IntactOption = False,
) -> None:
    """Each IOC with the number of hosts and bundles it was seen in, most widespread first."""
    _question(PREVALENCE, min_hosts=min_hosts)(archive, json_out, csv_out, intact)


@app.command()
def seen(
    archive: ArchiveArgument,
    ioc: Annotated[str | None, typer.Option("--ioc", help="Only this value.")] = None,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    intact: IntactOption = False,
) -> None:
    """First and last seen per IOC: the earliest and latest collection holding it, and where."""
    _question(SEEN, value=ioc)(archive, json_out, csv_out, intact)


@app.command()
def executables(
    archive: ArchiveArgument,
    sha256: Annotated[str | None, typer.Option("--sha256", help="Only this hash.")] = None,
    min_hosts: MinHostsOption = 1,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    intact: IntactOption = False,
) -> None:
    """Executables by sha256 across hosts: where each ran, under which names and paths."""
    _question(EXECUTABLES, sha256=sha256, min_hosts=min_hosts)(archive, json_out, csv_out, intact)


@app.command()
def persistence(
    archive: ArchiveArgument,
    min_hosts: MinHostsOption = 2,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    intact: IntactOption = False,
) -> None:
    """Persistence entries (mechanism and command) found on more than one host."""
    _question(PERSISTENCE, min_hosts=min_hosts)(archive, json_out, csv_out, intact)


@app.command()
def problems(
    archive: ArchiveArgument, json_out: JsonOption = False, csv_out: CsvOption = False
) -> None:
    """Bundles that are not intact, were refused, or are incomplete."""
    _question(PROBLEMS)(archive, json_out, csv_out, False)


@app.command()
def export(
    archive: ArchiveArgument,
    parquet: Annotated[
        Path,
        typer.Option(
            "--parquet", help="A directory to create: one Parquet dataset per table, by day."
        ),
    ],
    json_out: JsonOption = False,
) -> None:
    """Write every table as Hive-partitioned Parquet (Spark, Trino, BigQuery read it as is)."""
    with reading(archive) as connection, archive_errors():
        try:
            counts = export_parquet(connection, parquet)
        except FileExistsError as exc:
            raise usage_error(f"{parquet} exists; give a directory that does not") from exc
        except OSError as exc:
            raise usage_error(f"cannot write {parquet}: {exc.strerror or exc}") from exc
    total = sum(counts.values())
    err.print(f"{len(counts)} tables, {total} rows written under {host(parquet)}")
    if json_out:
        out.print_json(json.dumps({"directory": str(parquet), "rows": counts}, ensure_ascii=True))


@app.command()
def report(
    archive: ArchiveArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")],
    overwrite: OverwriteOption = False,
    intact: IntactOption = False,
) -> None:
    """Write the fleet report: one self-contained HTML file (hosts × verdict, shared IOCs, the
    host × IOC matrix, first signs per host), filterable, opened from disk."""
    with reading(archive, intact) as connection, archive_errors():
        html = fleet_report(connection)
    with output_errors(output), open_output_file(output, "wb", force=overwrite) as handle:
        handle.write(html)
    err.print(f"fleet report written to {host(output)} ({len(html)} bytes)")
