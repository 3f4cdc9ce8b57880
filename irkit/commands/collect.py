"""`irkit collect`: run collectors into one sealed bundle."""

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from irkit.collection import CollectionResult, collect_to
from irkit.collectors.base import Collector
from irkit.collectors.registry import COLLECTORS, select_collectors
from irkit.commands.bundleoptions import BundleOptions, bundle_command
from irkit.commands.output import BundleOutput, OutputError, open_output, same_filesystem
from irkit.console import err, host
from irkit.custody import CustodyError
from irkit.custody.settings import CustodySettings, resolve_custody
from irkit.evidence.log import LogEntry
from irkit.evidence.sink import BundleSink
from irkit.evidence.writer import EvidenceWriter, Seal
from irkit.exitcodes import ExitCode
from irkit.footprint import limit_cpu, lower_priority
from irkit.frozen import unpacked
from irkit.interrupts import InterruptGuard

OutputOption = Annotated[
    str,
    typer.Option(
        "--output", "-o", help="Bundle file to create (.zip), or '-' to stream it to stdout."
    ),
]


def live_proc(root: Path, proc: Path | None) -> Path | None:
    """The procfs a run reads: the one given, else /proc for the live root, else none."""
    if proc is not None:
        return proc
    return Path("/proc") if root.resolve() == Path("/") else None


def progress_callbacks(
    quiet: bool,
) -> tuple[Callable[[Collector, str], None], Callable[[LogEntry], None]]:
    def on_step(collector: Collector, phase: str) -> None:
        if not quiet and phase == "start":
            err.print(f"[cyan]▸[/] {collector.name}: {collector.description}")

    def on_log(entry: LogEntry) -> None:
        if not quiet and entry.outcome in ("error", "warning", "interrupted"):
            err.print(f"  [yellow]{entry.outcome}[/] {host(progress_line(entry))}")

    return on_step, on_log


WHERE_KEYS = ("path", "target", "pid", "member")
"""What a log entry may say it was about, in the order a progress line names it."""


def progress_line(entry: LogEntry) -> str:
    """`COLLECTOR STEP WHERE: WHAT`. Entries without an error (a YARA hit is logged as a
    warning) say what they carry instead, so that no line ends in an empty colon and none
    goes without the file or process it is about."""
    where = next((entry.detail[k] for k in WHERE_KEYS if entry.detail.get(k) is not None), None)
    what = entry.error or ", ".join(
        f"{key} {value}"
        for key, value in entry.detail.items()
        if key not in WHERE_KEYS and isinstance(value, str | int)
    )
    line = f"{entry.collector} {entry.step}" + (f" {where}" if where is not None else "")
    return f"{line}: {what}" if what else line


def print_seal(output: BundleOutput, result: CollectionResult, sidecar: Path | None) -> None:
    seal = result.seal
    state = "[green]complete[/]" if seal.complete else "[red]INCOMPLETE[/]"
    where = host(output.path) if output.path else "stdout"
    err.print(f"bundle           {where} ({state}, {manifest_members(seal)} members)")
    if seal.reason:
        err.print(f"incomplete       {host(seal.reason)}")
    if result.interrupted_by:
        err.print(f"[red]interrupted by {result.interrupted_by}[/]")
    if result.failed:
        err.print(f"[red]failed collectors:[/] {', '.join(result.failed)}")
    if result.output_full:
        err.print(
            f"[red]error:[/] {host(result.output_full)}: collection stopped; the bundle was"
            " sealed as incomplete with what fit"
        )
    if seal.signed_by:
        err.print(f"signed by        {seal.signed_by} (manifest.json.sig)")
    if output.encrypted_to:
        err.print(f"encrypted to     {len(output.encrypted_to)} recipient(s) with age")
    err.print(f"manifest sha256  {seal.manifest_sha256}")
    what = "ciphertext" if output.encrypted_to else "bundle"
    err.print(f"bundle sha256    {seal.bundle_sha256} (the {what})")
    if sidecar is not None:
        err.print(f"                 (written to {host(sidecar)}; check with sha256sum -c)")
    if output.sidecar_error:
        err.print(f"[red]error:[/] {host(output.sidecar_error)}; note the bundle sha256 above")


def manifest_members(seal: Seal) -> int:
    """The members the manifest lists, which is what `irkit verify` checks and counts: the
    writer's count also has manifest.json itself."""
    return seal.members - 1


def seal_summary(output: BundleOutput, result: CollectionResult) -> dict[str, object]:
    return {
        "bundle": str(output.path) if output.path else "-",
        "complete": result.seal.complete,
        "members": manifest_members(result.seal),
        "incomplete_reason": result.seal.reason,
        "manifest_sha256": result.seal.manifest_sha256,
        "bundle_sha256": result.seal.bundle_sha256,
        "failed_collectors": result.failed,
        "interrupted_by": result.interrupted_by,
        "output_full": result.output_full,
        "signed_by": result.seal.signed_by,
        "encrypted_to": output.encrypted_to,
    }


def start_bundle(
    output_target: str,
    options: BundleOptions,
    guard: InterruptGuard,
    playbook_custody: CustodySettings | None = None,
) -> tuple[BundleOutput, EvidenceWriter]:
    """Open the output and a writer on it; shared by collect and triage.

    Call it with `guard` installed: from the moment `OUT.partial` exists, a signal is held
    until the collection starts, which then stops at once and seals the bundle.
    """
    if options.json_out and output_target == "-":
        err.print("[red]error:[/] --json prints to stdout, which -o - already uses for the bundle")
        raise typer.Exit(ExitCode.USAGE)
    try:
        custody = resolve_custody(options.sign, options.encrypt_to or [], playbook_custody)
    except CustodyError as exc:
        err.print(f"[red]error:[/] {host(exc)}")
        raise typer.Exit(ExitCode.USAGE) from exc
    try:
        output = open_output(output_target, force=options.overwrite)
    except OutputError as exc:
        err.print(f"[red]error:[/] {host(exc)}")
        raise typer.Exit(ExitCode.USAGE) from exc
    _, on_log = progress_callbacks(options.quiet)
    sink: BundleSink = output.sink
    if custody.recipients:
        from irkit.custody.encryption import EncryptingSink  # pyrage: only when encrypting

        sink = EncryptingSink(output.sink, custody.recipients)
        output.encrypted_to = [r.text for r in custody.recipients]
    writer = EvidenceWriter(
        sink, command_line=sys.argv, guard=guard, on_log=on_log, custody=custody.custody
    )
    limit_cpu(options.max_cpu)
    lower_priority(writer.log, options.nice, options.io_idle)
    # OUT.partial (its inode survives the rename) and the reserve: the host readers refuse
    # these, so a bundle written under a collected directory never copies itself.
    writer.excluded_inodes |= output.identities()
    if same_filesystem(output, options.root):
        message = (
            f"the bundle {output.path} is on the same filesystem as the collected root"
            f" {options.root}:"
            " writing it may overwrite deleted evidence; prefer a USB disk, a network share or -o -"
        )
        writer.log.add("output", "irkit", "warning", message)
    for warning in custody.warnings:
        writer.log.add("custody", "irkit", "warning", warning)
    log_unpacked(writer)
    if output.reserve is not None and not output.reserve.held:
        writer.log.add(
            "output",
            "irkit",
            "warning",
            "no space could be reserved beside the bundle: a full disk will leave it unsealed",
        )
    return output, writer


def log_unpacked(writer: EvidenceWriter) -> None:
    """Say in the collection log where the single file unpacked itself (nothing when installed)."""
    unpack = unpacked()
    if unpack is None:
        return
    outcome = "ok" if unpack.memory_backed else "warning"
    writer.log.add(
        "runtime",
        "irkit",
        outcome,
        None if unpack.memory_backed else unpack.message(),
        unpacked_into=str(unpack.directory),
        memory_backed=unpack.memory_backed,
        note=unpack.message(),
    )


def exit_code(result: CollectionResult, output: BundleOutput) -> ExitCode:
    """5 when the disk filled (even though what fit is sealed) or the sidecar could not be
    written, else 3 when incomplete."""
    if result.output_full or output.sidecar_error:
        return ExitCode.OUTPUT_FAILED
    return ExitCode.CLEAN if result.seal.complete else ExitCode.INCOMPLETE


@bundle_command
def collect(
    output: OutputOption,
    collectors: Annotated[
        str | None,
        typer.Option(
            "--collectors",
            "-c",
            help="Comma-separated collectors to run (default: all). Known: "
            + ", ".join(c.name for c in COLLECTORS),
        ),
    ] = None,
    *,
    options: BundleOptions,
) -> None:
    """Collect the host's state into one sealed evidence bundle (most volatile first).

    Reads /proc and files directly; never runs a program of the host. The bundle is written
    as OUTPUT.partial and renamed to OUTPUT once sealed. Exit 0 complete; 3 when the
    collection was interrupted (SIGINT/SIGTERM) or a collector failed: the bundle is still
    sealed and readable, with complete: false in its manifest; 4 internal error of irkit;
    5 the output could not be written (a full disk seals what fit; otherwise OUTPUT.partial
    stays, unsealed); 6 the output pipe of -o - was closed.
    """
    try:
        chosen = select_collectors(
            [n.strip() for n in collectors.split(",") if n.strip()] if collectors else None
        )
    except ValueError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(ExitCode.USAGE) from exc
    guard = InterruptGuard()
    guard.install()
    bundle, writer = start_bundle(output, options, guard)
    on_step, _ = progress_callbacks(options.quiet)
    result = collect_to(
        writer,
        guard,
        chosen,
        root=options.root,
        proc=live_proc(options.root, options.proc),
        on_step=on_step,
        output_dir=bundle.directory,
    )
    sidecar = bundle.close(result.seal)
    print_seal(bundle, result, sidecar)
    if options.json_out:
        print(json.dumps(seal_summary(bundle, result), indent=2))
    raise typer.Exit(exit_code(result, bundle))
