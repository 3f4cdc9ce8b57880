"""`irkit memory`: process dumps, ISF building and memory image analysis."""

import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from irkit.commands.errors import output_errors, usage_error
from irkit.commands.maxcpu import MaxCpuOption
from irkit.commands.options import (
    DEFAULT_FAIL_ON,
    FailOnOption,
    JsonOption,
    OverwriteOption,
)
from irkit.console import err, host, out
from irkit.evidence.records import severity_rank
from irkit.exitcodes import ExitCode
from irkit.footprint import limit_cpu
from irkit.limits import Limits
from irkit.memory.plugins import PLUGINS
from irkit.outfile import create_output

if TYPE_CHECKING:
    from irkit.memory.analyze import MemoryAnalysis, SymbolMaterial

# Each command imports its own machinery when it runs: the analysis (volatility3's runner, the
# ISF builder and its schema) is most of the start-up of `memory dump`, which needs none of it.

app = typer.Typer(
    help="Process memory dumps, volatility3 symbol tables from BTF, memory image analysis.",
    no_args_is_help=True,
)


@app.command()
def dump(
    pid: Annotated[int, typer.Option("--pid", help="Process to dump.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Core file to create.")],
    proc: Annotated[Path, typer.Option(help="procfs to read the process from.")] = Path("/proc"),
    max_region: Annotated[
        int | None, typer.Option(help="Take at most this many bytes of each region.")
    ] = None,
    max_total: Annotated[
        int,
        typer.Option(
            help="Stop adding regions past this many bytes in total (a sparse mapping can be"
            " terabytes); the default is the playbooks' dump_bytes cap."
        ),
    ] = Limits().dump_bytes,
    overwrite: OverwriteOption = False,
    json_out: JsonOption = False,
) -> None:
    """Dump a process's memory as an ELF core (readelf, gdb and YARA open it).

    Reads /proc/PID/maps and /proc/PID/mem; never stops the process. Exit 3 when the dump
    is partial (the process exited, a region could not be read, or the output's free space
    -- the host's free RAM when the output is memory-backed -- cut it: the log says which).
    """
    # Here, not at the top: `memory isf` and `analyze` need nothing of the collectors.
    from irkit.collectors.memory import OUTPUT_SPACE, dump_room
    from irkit.memory.dump import MapsError, dump_process, write_core

    room = dump_room(output.absolute().parent, max_total, "max_total")
    if room.total_name == OUTPUT_SPACE:
        err.print(
            f"[yellow]warning:[/] {host(output.absolute().parent)} has room for"
            f" {room.max_total or 0} bytes: the core is cut there"
        )
    try:
        plan, result, chunks = dump_process(
            pid, proc, replace(room, max_region=max_region), log=_log_line
        )
    except (OSError, MapsError) as exc:
        raise usage_error(f"pid {pid}: cannot read its maps: {exc}") from exc
    with output_errors(output):
        fd = create_output(output, force=overwrite)
    with os.fdopen(fd, "wb") as handle:
        write_core(chunks, handle)
    state = "[red]partial[/]" if result.partial else "[green]complete[/]"
    err.print(
        f"core {host(output)} ({state}): {result.regions} regions, {result.bytes_read} bytes"
        f" read, {len(plan.skipped)} regions skipped"
    )
    if json_out:
        dumped = {"core": str(output), "pid": pid, "partial": result.partial}
        counts = {"regions": result.regions, "bytes_read": result.bytes_read}
        print(json.dumps(dumped | counts | {"regions_skipped": len(plan.skipped)}, indent=2))
    raise typer.Exit(ExitCode.INCOMPLETE if result.partial else ExitCode.CLEAN)


def _log_line(step: str, outcome: str, error: str | None = None, **detail: object) -> None:
    where = detail.get("path") or ""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    region = detail.get("region", "")
    err.print(
        f"{stamp} [yellow]{outcome}[/] {step} {host(region)} {host(where)}: {host(error or '')}"
    )


@app.command()
def isf(
    btf: Annotated[Path, typer.Option(help="Raw BTF (/sys/kernel/btf/vmlinux, collected).")],
    kallsyms: Annotated[Path, typer.Option(help="/proc/kallsyms as collected (read as root).")],
    banner: Annotated[Path, typer.Option(help="/proc/version as collected.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="ISF to write (.json.xz).")],
    validate: Annotated[
        bool, typer.Option(help="Check the result against volatility3's ISF schema.")
    ] = True,
    overwrite: OverwriteOption = False,
    json_out: JsonOption = False,
) -> None:
    """Build a volatility3 symbol table (ISF) from BTF + kallsyms + banner, no debug kernel."""
    from irkit.memory.btf import BtfError
    from irkit.memory.inputs import InputError, read_input
    from irkit.memory.isf import IsfError, build_isf, isf_warnings, write_isf
    from irkit.memory.isfschema import validate_isf

    started = time.monotonic()
    try:
        btf_bytes, kallsyms_bytes, banner_bytes = (read_input(p) for p in (btf, kallsyms, banner))
    except InputError as exc:
        raise usage_error(str(exc)) from exc
    try:
        table = build_isf(
            btf_bytes,
            kallsyms_bytes.decode(errors="replace"),
            banner_bytes,
            sources=(str(kallsyms), str(banner)),
        )
    except BtfError as exc:
        raise usage_error(f"{btf}: {exc}") from exc
    except IsfError as exc:
        raise usage_error(str(exc)) from exc
    if validate:
        problems = validate_isf(table)
        if problems:
            for problem in problems[:20]:
                err.print(f"[red]schema:[/] {host(problem)}")
            raise usage_error(
                "the ISF does not validate against volatility3's schema", ExitCode.INCOMPLETE
            )
    for warning in isf_warnings(table):
        err.print(f"[yellow]warning:[/] {host(warning)}")
    with output_errors(output):
        write_isf(table, output, force=overwrite)
    err.print(
        f"ISF {host(output)}: {len(table['user_types'])} types, {len(table['symbols'])} symbols"
        f"{', schema valid' if validate else ''} ({time.monotonic() - started:.1f} s)"
    )
    if json_out:
        built = {"isf": str(output), "types": len(table["user_types"])}
        print(json.dumps(built | {"symbols": len(table["symbols"]), "validated": validate}))


@app.command()
def analyze(
    image: Annotated[Path, typer.Argument(help="Memory image: LiME, ELF core (QEMU, kcore), raw.")],
    isf_file: Annotated[Path | None, typer.Option("--isf", help="A volatility3 ISF.")] = None,
    symbols: Annotated[
        Path | None,
        typer.Option(help="Directory with btf, kallsyms, version (as irkit collects them)."),
    ] = None,
    btf: Annotated[Path | None, typer.Option(help="Raw BTF of the imaged kernel.")] = None,
    kallsyms: Annotated[Path | None, typer.Option(help="Its /proc/kallsyms.")] = None,
    banner: Annotated[Path | None, typer.Option(help="Its /proc/version.")] = None,
    rules: Annotated[
        Path | None, typer.Option(help="YARA rules for the no-symbols scan (default: irkit's).")
    ] = None,
    plugins: Annotated[
        str | None,
        typer.Option(help="Comma-separated subset of: " + ", ".join(PLUGINS) + " (default: all)."),
    ] = None,
    json_out: JsonOption = False,
    fail_on: FailOnOption = DEFAULT_FAIL_ON,
    max_cpu: MaxCpuOption = None,
) -> None:
    """Analyse a Linux memory image with volatility3 (offline).

    With symbols: processes, arguments, sockets, open files, injected code, environments.
    Without: the kernel banner, YARA hits with physical offsets, and what is missing.
    Exit 1 with findings at or above --fail-on, 2 on bad input, 3 when the analysis could not
    complete.
    """
    from irkit.memory.analyze import AnalysisError, analyze_image

    if not image.is_file():
        raise usage_error(f"{image}: no such image file")
    material = _material(symbols, btf, kallsyms, banner)
    chosen = _plugins(plugins)
    if isf_file is not None and not isf_file.is_file():
        raise usage_error(f"{isf_file}: no such ISF file")
    if rules is not None:
        _check_rules(rules)
    limit_cpu(max_cpu)
    try:
        result = analyze_image(
            image,
            isf=isf_file,
            material=material,
            rules_path=rules,
            plugins=chosen,
            on_progress=None if json_out else lambda m: err.print(f"[cyan]▸[/] {host(m)}"),
        )
    except AnalysisError as exc:
        raise usage_error(str(exc)) from exc
    if json_out:
        json.dump(result.to_dict(), sys.stdout, indent=2, ensure_ascii=True, default=str)
        sys.stdout.write("\n")
    else:
        print_analysis(result)
    if result.errors and (result.symbols or not result.banners):
        raise typer.Exit(ExitCode.INCOMPLETE)
    failing = any(severity_rank(f.severity) >= severity_rank(fail_on) for f in result.findings)
    raise typer.Exit(ExitCode.FINDINGS if failing else ExitCode.CLEAN)


def _material(
    symbols: Path | None, btf: Path | None, kallsyms: Path | None, banner: Path | None
) -> "SymbolMaterial | None":
    """The symbol material the options give: a directory, or the three files together."""
    from irkit.memory.analyze import SymbolMaterial, symbols_in_dir

    if symbols is not None:
        if not symbols.is_dir():
            raise usage_error(f"{symbols}: not a directory")
        return symbols_in_dir(symbols)
    if not (btf or kallsyms or banner):
        return None
    material = SymbolMaterial(btf=btf, kallsyms=kallsyms, banner=banner)
    if material.missing():
        raise usage_error(
            "--btf, --kallsyms and --banner go together; missing: " + ", ".join(material.missing())
        )
    return material


def _plugins(plugins: str | None) -> tuple[str, ...]:
    """The plugins a comma-separated list names (all when None); a usage error for others."""
    chosen = (
        tuple(p.strip() for p in plugins.split(",") if p.strip()) if plugins else tuple(PLUGINS)
    )
    unknown = [p for p in chosen if p not in PLUGINS]
    if unknown:
        raise usage_error(f"unknown plugin(s): {', '.join(unknown)}; known: {', '.join(PLUGINS)}")
    return chosen


def _check_rules(rules: Path) -> None:
    """Compile the analyst's rules before the (long) analysis: a usage error if they fail.

    The hunt package (yara and the scanners) is imported here, not at the top: `memory dump`
    and `memory isf` never need it, and it is most of their start-up."""
    from irkit.hunt import RuleError, compile_rules

    try:
        compile_rules(rules)
    except RuleError as exc:
        for problem in exc.problems:
            err.print(f"[red]{host(problem)}[/]")
        raise typer.Exit(ExitCode.USAGE) from exc


def print_analysis(result: "MemoryAnalysis") -> None:
    out.print(f"image    {host(result.image)} ({result.image_format})")
    for banner in result.banners[:3]:
        out.print(f"kernel   {host(banner)}")
    if result.symbols:
        out.print(f"symbols  {host(result.isf)}")
        out.print(f"[bold]processes[/] ({len(result.processes)})")
        for p in result.processes:
            if p.args or p.pid < 3:
                out.print(f"  {p.pid:>7} {p.ppid or 0:>7} {host(p.name):<16} {host(p.args or '')}")
        out.print(f"[bold]sockets[/] ({len(result.sockets)})")
        for s in result.sockets:
            out.print(
                f"  {s.pid} {host(s.process_name)} {s.proto} {host(s.local_address)}:{s.local_port}"
                f" -> {host(s.remote_address)}:{s.remote_port} {s.state}"
            )
        for r in result.regions:
            span = f"{r.start:#x}-{r.end:#x}"
            out.print(f"  [red]malfind[/] pid {r.pid} {host(r.process_name)} {span} {r.protection}")
    for hit in result.image_hits:
        offsets = ", ".join(f"{o:#x}" for o in hit.physical_offsets[:6])
        out.print(f"  [red]yara[/] {host(hit.rule)} ({hit.severity}) at physical {offsets}")
    for finding in result.findings:
        out.print(f"[red]finding[/] [{finding.severity}] {host(finding.title)}")
    for message in result.messages:
        out.print(f"[yellow]note:[/] {host(message)}")
    for error in result.errors:
        out.print(f"[red]error:[/] {host(error)}")
