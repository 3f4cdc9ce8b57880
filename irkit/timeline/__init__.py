"""The timeline of one or more bundles and its export formats."""

from irkit.timeline.events import Event, build_timeline
from irkit.timeline.formats import FORMATS, write_bodyfile, write_csv, write_jsonl

__all__ = ["FORMATS", "Event", "build_timeline", "write_bodyfile", "write_csv", "write_jsonl"]
