"""`irkit review`: verify bundles, print their summary, write the HTML report."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from irkit.commands.errors import output_errors
from irkit.commands.options import (
    DEFAULT_FAIL_ON,
    AllowNotIntactOption,
    FailOnOption,
    JsonOption,
    OverwriteOption,
)
from irkit.commands.verify import IdentityOption, TrustOption, trusted_keys, verified_bundles
from irkit.console import err, host, out
from irkit.evidence.view import BundleView, SourcedRecord, not_intact_banners
from irkit.exitcodes import ExitCode
from irkit.hunt import RuleError, compile_rules
from irkit.hunt.rules import analyst_cache_dir
from irkit.memory.analyze import AnalysisError, MemoryAnalysis
from irkit.outfile import open_output_file
from irkit.report.custody import custody_line
from irkit.report.jsondoc import review_document
from irkit.report.summary import Summary, summarize
from irkit.report.terminal import print_summary
from irkit.review.bundles import ReviewedBundle, ReviewStep, review_exit_code, run_steps
from irkit.review.memory import (
    MEMORY_REVIEW_MEMBER,
    MemoryReviewRecord,
    memory_review_records,
    review_memory,
)
from irkit.review.rescan import REVIEW_MEMBER, rescan_bundle, write_review_lines


def _write_html(target: Path, html: bytes, overwrite: bool) -> None:
    with output_errors(target), open_output_file(target, "wb", force=overwrite) as handle:
        handle.write(html)
    err.print(f"report written to {host(target)} ({len(html)} bytes)")


def rescan_step(rules: Path | None) -> ReviewStep:
    try:
        ruleset = compile_rules(rules, cache_dir=analyst_cache_dir())
    except RuleError as exc:
        err.print(f"[red]error:[/] the YARA rules do not compile:\n{host(exc)}")
        raise typer.Exit(ExitCode.USAGE) from exc

    def step(bundles: Sequence[ReviewedBundle]) -> None:
        for bundle in bundles:
            with bundle.reader() as reader:
                head, findings = rescan_bundle(
                    reader, ruleset, manifest_sha256=bundle.verification.manifest_sha256
                )
            target = write_review_lines(bundle.path, "rescan", [head, *findings])
            bundle.view.records += [SourcedRecord(REVIEW_MEMBER, f.to_dict()) for f in findings]
            err.print(
                f"rescan of {host(bundle.path)}: {head.members_scanned} members,"
                f" {len(findings)} finding(s) -> {host(target)}"
            )
            for error in head.errors:
                err.print(f"  [yellow]error[/] {host(error)}")

    return step


def memory_step(rules: Path | None) -> ReviewStep:
    def step(bundles: Sequence[ReviewedBundle]) -> None:
        for bundle in bundles:
            err.print(f"memory analysis of {host(bundle.path)} (volatility3, offline)...")
            try:
                with bundle.reader() as reader:
                    head, analysis = review_memory(reader, rules=rules)
            except AnalysisError as exc:
                err.print(f"  [red]error[/] {host(exc)}")
                continue
            target = write_review_lines(
                bundle.path, "memory", memory_review_records(head, analysis)
            )
            _print_memory_review(head, analysis, target)
            if analysis is not None:
                bundle.view.records += [
                    SourcedRecord(MEMORY_REVIEW_MEMBER, r.to_dict())
                    for r in [*analysis.records(), *analysis.findings]
                ]

    return step


def _print_memory_review(
    head: MemoryReviewRecord, analysis: MemoryAnalysis | None, target: Path
) -> None:
    """What the memory review found, in a few lines: the file beside the bundle has it all."""
    for line in head.banners[:3]:
        err.print(f"  banner: {host(line)}")
    for line in head.messages + [f"[error] {e}" for e in head.errors]:
        err.print(f"  {host(line)}")
    if analysis is not None:
        err.print(
            f"  {len(analysis.processes)} processes, {len(analysis.sockets)} sockets,"
            f" {len(analysis.image_hits)} YARA hits in the image -> {host(target)}"
        )


def _print_review(views: Sequence[BundleView], summary: Summary, json_out: bool) -> None:
    """The review as JSON on stdout, or the terminal summary with custody and banners."""
    if json_out:
        out.print_json(json.dumps(review_document(views, summary), ensure_ascii=True, default=str))
    else:
        custody = [custody_line(view) for view in views]
        print_summary(summary, banners=not_intact_banners(views), custody=custody)


def review(
    bundles: Annotated[list[Path], typer.Argument(help="Bundle(s) (.zip) to review.")],
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Write the self-contained HTML report here (one for all)."),
    ] = None,
    allow_not_intact: AllowNotIntactOption = False,
    overwrite: OverwriteOption = False,
    fail_on: FailOnOption = DEFAULT_FAIL_ON,
    rescan: Annotated[
        bool,
        typer.Option(
            help="Re-hunt the bundled files and memory with --rules; new findings go to "
            "BUNDLE.rescan-TIME.jsonl beside it (the bundle is never modified)."
        ),
    ] = False,
    memory: Annotated[
        bool,
        typer.Option(
            help="Analyse the bundle's memory image with volatility3, using the symbol material "
            "collected with it; results go to BUNDLE.memory-TIME.jsonl beside it."
        ),
    ] = False,
    json_out: JsonOption = False,
    rules: Annotated[
        Path | None,
        typer.Option(
            help="YARA rules for --rescan and for --memory's image scan (default: shipped pack)."
        ),
    ] = None,
    trust: TrustOption = None,
    identity: IdentityOption = None,
) -> None:
    """Verify each bundle, then print the verdict, findings by severity and IOCs.

    A bundle that is not intact is reported loudly and stops the review (exit 1) unless
    --allow-not-intact. With several bundles the report holds one timeline merged across
    hosts. --json prints the verdict, findings, IOCs and integrity as JSON. Exit 0 nothing at
    or above --fail-on, 1 findings at or above it (or a review of a bundle that is not
    intact), 2 unreadable input.
    """
    reviewed = verified_bundles(bundles, allow_not_intact, "review", trusted_keys(trust), identity)
    steps: list[ReviewStep] = []
    if rescan:
        steps.append(rescan_step(rules))
    if memory:
        steps.append(memory_step(rules))
    run_steps(reviewed, steps)
    views = [b.view for b in reviewed]
    for view in views:
        for problem in view.problems:
            err.print(f"[yellow]warning:[/] {host(view.label)}: {host(problem)}")
    summary = summarize(views)
    _print_review(views, summary, json_out)
    if html is not None:
        # jinja2 is loaded only when a report is asked for: every irkit command starts faster.
        from irkit.report.html import build_report

        _write_html(html, build_report(views), overwrite)
    raise typer.Exit(review_exit_code(reviewed, summary, fail_on))
