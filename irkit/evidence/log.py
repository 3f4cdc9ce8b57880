"""The collection log: every action with its UTC time and outcome.

Kept in memory (it is small) and written into the bundle at the end, because a
responder must not leave files on the suspect host outside the output.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from irkit.evidence.records import plain_value
from irkit.timeutil import utc_now_iso

OUTCOMES = ("ok", "error", "skipped", "partial", "warning", "interrupted")
LOG_BATCH = 1024
"""Log entries encoded into one piece of the collection.log member."""


@dataclass
class LogEntry:
    time: str
    step: str
    collector: str
    outcome: str
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """What dataclasses.asdict gives, without its deep copy: the log of a 10,000-file
        collection is read three times (coverage, report, seal)."""
        return {
            "time": self.time,
            "step": self.step,
            "collector": self.collector,
            "outcome": self.outcome,
            "error": self.error,
            "detail": plain_value(self.detail),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=True, default=str)


class CollectionLog:
    def __init__(self, on_entry: Callable[[LogEntry], None] | None = None) -> None:
        self.entries: list[LogEntry] = []
        self._on_entry = on_entry

    def add(
        self,
        step: str,
        collector: str = "",
        outcome: str = "ok",
        error: str | None = None,
        **detail: Any,
    ) -> LogEntry:
        entry = LogEntry(utc_now_iso(), step, collector, outcome, error, detail)
        self.entries.append(entry)
        if self._on_entry is not None:
            self._on_entry(entry)
        return entry

    def jsonl(self) -> Iterator[bytes]:
        """The entries so far as JSON Lines, LOG_BATCH entries a piece: the whole text of a
        10,000-file collection's log (6 MiB) is never held."""
        entries = list(self.entries)
        return (
            "".join(entry.to_json() + "\n" for entry in entries[start : start + LOG_BATCH]).encode()
            for start in range(0, len(entries), LOG_BATCH)
        )
