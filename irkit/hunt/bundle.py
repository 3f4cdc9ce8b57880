"""Put scan results into a bundle from inside a collection: hits as `yara-hit` records,
each also as a `finding`, and every target's error or timeout as a log line."""

from collections.abc import Iterable

from irkit.collectors.base import Context
from irkit.hunt.hits import hit_to_finding
from irkit.hunt.windows import TargetResult


def emit_results(ctx: Context, results: Iterable[TargetResult]) -> int:
    """Emit hits and findings through `ctx`; return how many hits there were."""
    count = 0
    for result in results:
        for error in result.errors:
            ctx.log("yara-scan", "error", error, target=result.target, kind=result.target_kind)
        if result.timed_out:
            ctx.log("yara-scan", "error", "timeout", target=result.target, kind=result.target_kind)
        for note in result.notes:
            ctx.log("yara-scan", "partial", note, target=result.target, kind=result.target_kind)
        for hit in result.hits:
            ctx.emit(hit)
            ctx.emit(hit_to_finding(hit))
            count += 1
    return count
