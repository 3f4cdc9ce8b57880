"""`irkit triage`: a playbook run that collects, hunts, analyses and seals one bundle."""

import json
import socket
import time
from pathlib import Path
from typing import Annotated

import typer

from irkit.collection import CollectionResult, collect_to
from irkit.collectors.base import Collector
from irkit.collectors.registry import select_collectors
from irkit.commands.bundleoptions import BundleOptions, bundle_command
from irkit.commands.collect import (
    exit_code,
    live_proc,
    print_seal,
    progress_callbacks,
    seal_summary,
    start_bundle,
)
from irkit.commands.options import DEFAULT_FAIL_ON, FAIL_ON_HELP, severity_option
from irkit.commands.output import BundleOutput
from irkit.console import err, host
from irkit.evidence.coverage import caveat, unseen
from irkit.evidence.records import Record
from irkit.evidence.view import BundleView, RecordLike, view_from_parts
from irkit.evidence.writer import EvidenceWriter
from irkit.exitcodes import ExitCode
from irkit.hunt import RuleError, RuleSet, compile_rules
from irkit.interrupts import InterruptGuard
from irkit.playbook import DEFAULT_PLAYBOOK, Playbook, PlaybookError, load_playbook
from irkit.report.summary import summarize
from irkit.report.terminal import print_summary
from irkit.triage import Triage, TriageOutcome


def _load(playbook: str, rules: Path | None) -> tuple[Playbook, RuleSet, dict[Path, RuleSet]]:
    """Everything that can be wrong with the input is found here, before anything runs:
    the playbook, `--rules`, and each hunt's own `rules:`."""
    try:
        book = load_playbook(playbook)
        hunt_rules = book.hunt_rules()
    except PlaybookError as exc:
        err.print(f"[red]error:[/] {host(exc)}")
        raise typer.Exit(ExitCode.USAGE) from exc
    try:
        ruleset = compile_rules(rules)
    except RuleError as exc:
        err.print(f"[red]error:[/] the YARA rules do not compile:\n{host(exc)}")
        raise typer.Exit(ExitCode.USAGE) from exc
    return book, ruleset, hunt_rules


SUMMARY_TYPES = frozenset({"finding", "ioc"})
"""The record types the terminal summary reads (`report.summary.summarize`)."""


def default_output_name() -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return f"irkit-{socket.gethostname()}-{stamp}.zip"


def print_outcome(writer: EvidenceWriter, outcome: TriageOutcome, threshold: str) -> None:
    """The same summary `irkit review` prints, from the records just sealed."""
    if outcome.analysis is None:
        err.print("[yellow]analysis did not run (the collection stopped early)[/]")
        return
    err.print()
    print_summary(summarize([summary_view(writer)]), err, detail_from=threshold)


def summary_view(writer: EvidenceWriter) -> BundleView:
    """The view `summarize` reads (findings, IOCs, the log entries with an error: what could
    not be read), without the 60,000 other records and 20,000 log entries a 10,000-file
    collection holds: converting them all made the summary 8 % of a triage."""
    records = {
        member: [r for r in items if _record_type(r) in SUMMARY_TYPES]
        for member, items in writer.records_by_member.items()
    }
    errors = [entry for entry in writer.log.entries if entry.error]
    return view_from_parts(records, log=errors, host=writer.host)


def _record_type(record: RecordLike) -> object:
    return record.kind if isinstance(record, Record) else record.get("type")


def triage_exit_code(
    result: CollectionResult, bundle: BundleOutput, outcome: TriageOutcome, threshold: str
) -> int:
    if not result.seal.complete or bundle.sidecar_error:
        return exit_code(result, bundle)
    if outcome.analysis is not None and outcome.analysis.above(threshold):
        return ExitCode.FINDINGS
    return ExitCode.CLEAN


@bundle_command
def triage(
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Bundle file to create, or '-' for stdout (default: irkit-HOST-TIME.zip here).",
        ),
    ] = None,
    playbook: Annotated[
        str,
        typer.Option(
            "--playbook",
            "-p",
            help="A built-in playbook name (see `irkit playbook list`) or a file.",
        ),
    ] = DEFAULT_PLAYBOOK,
    rules: Annotated[
        Path | None,
        typer.Option(
            help="YARA rule file or directory (default: the shipped pack) for the hunts that "
            "name no `rules:` of their own."
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            metavar="SEVERITY",
            callback=severity_option,
            help=FAIL_ON_HELP + " Default: the playbook's analysis threshold"
            f" ({DEFAULT_FAIL_ON} in every built-in playbook).",
            show_default=False,
        ),
    ] = None,
    *,
    options: BundleOptions,
) -> None:
    """Triage this host for cryptomining: collect, hunt with YARA, analyse, seal one bundle.

    The playbook decides what runs (default: cryptominer). Volatile state is collected first;
    YARA then runs over running executables, persistence targets and the memory of the
    processes the cheap signals raised. The summary lists the verdict, findings with their
    reasons, and IOCs (pool URLs, wallets, workers). The bundle is written as OUTPUT.partial
    and renamed once sealed. Exit 0 clean, 1 findings at or above the playbook's threshold,
    2 bad input, 3 collection incomplete (interrupted: still sealed), 4 internal error of
    irkit, 5 the output could not be written (a full disk seals what fit), 6 the output pipe
    of -o - was closed.
    """
    book, ruleset, hunt_rules = _load(playbook, rules)
    if fail_on is not None:  # the verdict, the IOCs kept and the exit code all follow it
        book.analysis.threshold = fail_on
    try:
        collectors: list[Collector] = select_collectors([c.name for c in book.collectors])
    except ValueError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(ExitCode.USAGE) from exc
    guard = InterruptGuard()
    guard.install()
    bundle, writer = start_bundle(
        output or default_output_name(), options, guard, playbook_custody=book.custody
    )
    quiet = options.quiet
    on_step, _ = progress_callbacks(quiet)
    if not quiet:
        err.print(f"playbook {host(book.name)}: " + "; ".join(book.plan()))
    phase = Triage(
        book,
        ruleset,
        lambda text: None if quiet else err.print(f"[cyan]▸[/] {text}"),
        hunt_rules=hunt_rules,
    )
    del ruleset, hunt_rules  # the phase holds them, and lets them go once its hunts are over
    result = collect_to(
        writer,
        guard,
        collectors,
        root=options.root,
        proc=live_proc(options.root, options.proc),
        options=book.collector_options(),
        limits=book.limits,
        on_step=on_step,
        then=phase,
        output_dir=bundle.directory,
    )
    sidecar = bundle.close(result.seal)
    threshold = book.analysis.threshold
    print_outcome(writer, phase.outcome, threshold)
    print_seal(bundle, result, sidecar)
    if options.json_out:
        blind = unseen(writer.log.entries)
        print(json.dumps(_json_summary(bundle, result, phase.outcome, book, blind), indent=2))
    raise typer.Exit(triage_exit_code(result, bundle, phase.outcome, threshold))


def _json_summary(
    bundle: BundleOutput,
    result: CollectionResult,
    outcome: TriageOutcome,
    book: Playbook,
    blind: list[str],
) -> dict[str, object]:
    """`blind`: what could not be read; the verdict's reason and `not_readable` name it."""
    analysis = outcome.analysis
    verdict = analysis.verdict(book.analysis.threshold).to_dict() if analysis else None
    if verdict is not None:
        verdict["reason"] = caveat(str(verdict.get("reason") or ""), blind)
        verdict["not_readable"] = blind
    return seal_summary(bundle, result) | {
        "playbook": book.name,
        "verdict": verdict,
        "findings": [f.to_dict() for f in analysis.findings] if analysis else [],
        "iocs": [i.to_dict() for i in outcome.iocs],
    }
