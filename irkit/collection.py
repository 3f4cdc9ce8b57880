"""Run collectors into a bundle, in volatility order, and seal it whatever happens."""

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from irkit.collectors.base import NO_PROC, Collector, Context, NoLiveState
from irkit.evidence.coverage import coverage_reason
from irkit.evidence.writer import EvidenceWriter, Seal
from irkit.interrupts import CollectionInterrupted, InterruptGuard
from irkit.limits import Limits
from irkit.report.html import write_report_member


@dataclass
class CollectionResult:
    seal: Seal
    failed: list[str] = field(default_factory=list)
    interrupted_by: str | None = None


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
) -> CollectionResult:
    """Collect, then run `then` (hunts, analysis) on the same context, then seal.

    An interrupt anywhere stops the work and still seals the bundle as incomplete.
    """
    ctx = Context(
        writer=writer, root=root, proc=proc, options=options or {}, limits=limits or Limits()
    )
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
    failed: list[str] = []
    interrupted: str | None = None
    with guard.installed():
        try:
            failed = run_collectors(ctx, collectors, on_step=on_step)
            if then is not None:
                ctx.collector = "irkit"
                try:
                    then(ctx)
                except Exception as exc:
                    failed.append("analysis")
                    writer.log.add(
                        "analysis",
                        "irkit",
                        "error",
                        f"{type(exc).__name__}: {exc}",
                        traceback=traceback.format_exc(limit=8),
                    )
        except CollectionInterrupted as exc:
            interrupted = str(exc)
            writer.log.add(
                "collection-interrupted", ctx.collector, "interrupted", f"received {exc}"
            )
        if not interrupted:
            write_report_member(writer, writer.records_by_member)
        reason = None
        if interrupted:
            reason = f"interrupted by {interrupted} during {ctx.collector}"
        elif failed:
            reason = f"collector(s) failed: {', '.join(failed)}"
        reason = "; ".join(r for r in (reason, coverage_reason(writer.log.entries)) if r) or None
        seal = writer.close(complete=reason is None, reason=reason)
    return CollectionResult(seal, failed, interrupted)
