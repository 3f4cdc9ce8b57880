"""Run collectors into a bundle, in volatility order, and seal it whatever happens."""

import gc
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from irkit.collectors.base import NO_PROC, Collector, Context, NoLiveState
from irkit.evidence.coverage import coverage_reason
from irkit.evidence.sink import OutputFull
from irkit.evidence.writer import EvidenceWriter, Seal
from irkit.footprint import log_usage
from irkit.interrupts import CollectionInterrupted, CollectionStopped, InterruptGuard
from irkit.limits import Limits
from irkit.report.html import write_report_member


@dataclass
class CollectionResult:
    seal: Seal
    failed: list[str] = field(default_factory=list)
    interrupted_by: str | None = None
    output_full: str | None = None
    """Why the output filled and stopped the collection (what fit was sealed in the reserve).
    A disk that fills only while sealing is absorbed by the reserve and is not a stop."""


GC_YOUNG_THRESHOLD = 50_000
"""Allocations between two young-generation garbage collections while collecting (CPython's
default is 700). A collection of 10,000 files makes a few million objects that all live to
the seal, and the collector's passes over them were a fifth of its CPU time."""

StepCallback = Callable[[Collector, str], None]
AfterCollection = Callable[[Context], None]


def records_member(collector: str) -> str:
    return f"records/{collector}.jsonl"


def run_collectors(
    ctx: Context,
    collectors: Sequence[Collector],
    *,
    on_step: StepCallback | None = None,
) -> list[str]:
    """Run each collector, writing its records; return the names of those that crashed."""
    failed: list[str] = []
    for collector in collectors:
        ctx.collector = collector.name
        ctx.records = []
        ctx.log("collector-start")
        if on_step is not None:
            on_step(collector, "start")
        try:
            collector.collect(ctx)
        except NoLiveState as exc:
            ctx.records = []
            ctx.log("collector-end", "skipped", str(exc))
        except Exception as exc:
            failed.append(collector.name)
            ctx.log(
                "collector-end",
                "error",
                f"{type(exc).__name__}: {exc}",
                traceback=traceback.format_exc(limit=6),
            )
        else:
            ctx.log("collector-end", records=len(ctx.records))
        finally:
            if ctx.records:
                ctx.writer.write_records(
                    records_member(collector.name), ctx.records, collector=collector.name
                )
                ctx.collected[collector.name] = ctx.records
            if on_step is not None:
                on_step(collector, "end")
    ctx.collector = "irkit"
    return failed


def collect_to(
    writer: EvidenceWriter,
    guard: InterruptGuard,
    collectors: Sequence[Collector],
    *,
    root: Path,
    proc: Path | None,
    options: dict[str, dict[str, Any]] | None = None,
    limits: Limits | None = None,
    on_step: StepCallback | None = None,
    then: AfterCollection | None = None,
    output_dir: Path | None = None,
) -> CollectionResult:
    """Collect, then run `then` (hunts, analysis) on the same context, write the report, seal.

    A stop anywhere (SIGINT/SIGTERM, a full disk) ends the work and still seals the bundle,
    as incomplete. The guard raises at most once and is held before the seal, so a second
    signal can land anywhere without escaping it.
    """
    ctx = Context(
        writer=writer,
        root=root,
        proc=proc,
        options=options or {},
        limits=limits or Limits(),
        output_dir=output_dir,
    )
    _log_start(writer, root, proc, collectors)
    with guard.installed(), fewer_garbage_collections():
        failed, stopped = _collect_and_report(ctx, guard, collectors, on_step, then)
        reason = _incomplete_reason(ctx, failed, stopped)
        log_usage(writer.log)
        seal = writer.close(complete=reason is None, reason=reason)
    return CollectionResult(
        seal,
        failed,
        str(stopped) if isinstance(stopped, CollectionInterrupted) else None,
        str(stopped) if isinstance(stopped, OutputFull) else None,
    )


def _log_start(
    writer: EvidenceWriter, root: Path, proc: Path | None, collectors: Sequence[Collector]
) -> None:
    """The log's first entry (what is collected, from where), and why live state is not."""
    writer.log.add(
        "collection-start",
        "irkit",
        root=str(root),
        proc=str(proc) if proc is not None else None,
        live_state=proc is not None,
        collectors=[c.name for c in collectors],
    )
    if proc is None:
        writer.host["live_state"] = "not collected: --root without --proc"
        writer.log.add("live-state", "irkit", "skipped", NO_PROC, root=str(root))


def _collect_and_report(
    ctx: Context,
    guard: InterruptGuard,
    collectors: Sequence[Collector],
    on_step: StepCallback | None,
    then: AfterCollection | None,
) -> tuple[list[str], CollectionStopped | None]:
    """The collectors, `then` and the report, until done or stopped: the failed collectors
    and what stopped the work (None when nothing did). The guard is held on the way out, so
    a signal after this point waits for the seal."""
    failed: list[str] = []
    try:
        try:
            guard.arm()
            failed = run_collectors(ctx, collectors, on_step=on_step)
            if then is not None:
                ctx.collector = "irkit"
                _run_after(ctx, then, failed)
            write_report_member(ctx.writer, ctx.writer.records_by_member)
        finally:
            guard.hold()
    except CollectionStopped as exc:
        return failed, exc
    if guard.received is not None:
        return failed, CollectionInterrupted(guard.received)
    return failed, None


def _incomplete_reason(
    ctx: Context, failed: list[str], stopped: CollectionStopped | None
) -> str | None:
    """Why the bundle is sealed incomplete (a stop, failed collectors, a coverage gap), or
    None for a complete one; a stop is logged here."""
    reason = None
    if stopped is not None:
        _log_stop(ctx.writer, ctx.collector, stopped)
        reason = f"{_stopped_by(stopped)} during {ctx.collector}"
    elif failed:
        reason = f"collector(s) failed: {', '.join(failed)}"
    return "; ".join(r for r in (reason, coverage_reason(ctx.writer.log.entries)) if r) or None


@contextmanager
def fewer_garbage_collections() -> Iterator[None]:
    """Collect garbage less often while collecting evidence: what exists now (modules, rules,
    the playbook) is frozen out of every pass, and the young generation is collected every
    GC_YOUNG_THRESHOLD allocations instead of 700. Records live until the seal, so the
    passes found almost nothing; the thresholds are restored after."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 10)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _log_stop(writer: EvidenceWriter, collector: str, stop: CollectionStopped) -> None:
    if isinstance(stop, OutputFull):
        writer.log.add(
            "output-full", collector, "error", f"{stop}: stopped, sealing in the reserve"
        )
    else:
        writer.log.add("collection-interrupted", collector, "interrupted", f"received {stop}")


def _stopped_by(stop: CollectionStopped) -> str:
    return f"interrupted by {stop}" if isinstance(stop, CollectionInterrupted) else f"{stop}"


def _run_after(ctx: Context, then: AfterCollection, failed: list[str]) -> None:
    """The after-collection phase is fail-soft like a collector: a crash is a failed step."""
    try:
        then(ctx)
    except Exception as exc:
        failed.append("analysis")
        ctx.writer.log.add(
            "analysis",
            "irkit",
            "error",
            f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(limit=8),
        )
