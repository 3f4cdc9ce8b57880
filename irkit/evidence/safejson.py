"""JSON from a bundle, parsed without trusting it: a bad document is a named error, never a
RecursionError, and nothing nested deeper than JSON_MAX_DEPTH reaches the rest of irkit
(the report, the timeline and `json.dumps` walk records recursively)."""

import json
from typing import Any

JSON_MAX_DEPTH = 64
"""Deepest nesting accepted in a manifest, record or log line (irkit writes at most 4)."""


class JsonError(ValueError):
    """The text is not JSON irkit accepts; the message says why."""


def nesting_depth_exceeds(value: Any, limit: int) -> bool:
    """Walks the parsed value without recursion, so any depth is measured safely."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def cannot_nest_deeper(raw: bytes | str, limit: int) -> bool:
    """True when `raw` holds at most `limit` opening brackets, so no value parsed from it can
    nest deeper than `limit`: two C-speed counts instead of walking every parsed value (a
    bracket inside a string only makes the count larger, never lets a deep value through).
    irkit's own lines pass here; only a line with many brackets is walked."""
    if isinstance(raw, str):
        return raw.count("[") + raw.count("{") <= limit
    return raw.count(b"[") + raw.count(b"{") <= limit


def parse_json(raw: bytes | str, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """Parse `raw`; JsonError for text that is not JSON, too deep or with absurd numbers."""
    try:
        value = json.loads(raw)
    except RecursionError as exc:
        raise JsonError(f"nested deeper than {max_depth} levels") from exc
    except ValueError as exc:
        raise JsonError(f"not JSON ({exc})") from exc
    if not cannot_nest_deeper(raw, max_depth) and nesting_depth_exceeds(value, max_depth):
        raise JsonError(f"nested deeper than {max_depth} levels")
    return value
