"""What a scan inside a collection leaves in the collection log: each target's errors,
timeouts and skipped regions, one line each, so a partial hunt is never silent."""

from irkit.hunt.files import Log
from irkit.hunt.windows import TargetResult


def log_scan_problems(log: Log, result: TargetResult) -> None:
    for error in result.errors:
        log("yara-scan", "error", error, target=result.target, kind=result.target_kind)
    if result.timed_out:
        log("yara-scan", "partial", "timeout", target=result.target, kind=result.target_kind)
    for note in result.notes:
        log("yara-scan", "partial", note, target=result.target, kind=result.target_kind)
