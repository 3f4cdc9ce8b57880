"""One pass of the merged rule set over one buffer, and turning yara matches into hits.

Shared by every target kind: a file is one buffer; process memory and memory images are
streams of windows (see `windows.py`) whose buffer offsets are translated back to
addresses before they become hits.
"""

from collections.abc import Callable, Iterable
from typing import Any

from irkit.footprint import throttle
from irkit.hunt.hits import MatchedString, YaraHit, excerpt, rule_severity
from irkit.hunt.libyara import Rules

Translate = Callable[[int], int]
"""Buffer offset -> offset in the target's own address space."""

Keep = Callable[[int], bool]
"""Whether an instance at this buffer offset belongs to this window (overlap dedupe)."""


def match_buffer(
    rules: Rules,
    data: Any,
    *,
    externals: dict[str, str] | None = None,
    timeout: float | None = None,
) -> list[Any]:
    """One libyara pass; releases the GIL, so threads scan in parallel."""
    throttle()  # --max-cpu: a pause first when irkit is over its CPU share
    kwargs: dict[str, Any] = {"data": data, "fast": True}
    if externals:
        kwargs["externals"] = externals
    if timeout:
        kwargs["timeout"] = max(1, round(timeout))
    return list(rules.match(**kwargs))


def instances(match: Any, translate: Translate, keep: Keep) -> list[MatchedString]:
    found: list[MatchedString] = []
    for string in match.strings:
        for instance in string.instances:
            if not keep(instance.offset):
                continue
            found.append(
                MatchedString(
                    string.identifier,
                    translate(instance.offset),
                    instance.matched_length,
                    excerpt(bytes(instance.matched_data)),
                )
            )
    return found


def merge_matches(
    hits: dict[str, YaraHit],
    matches: Iterable[Any],
    *,
    target: str,
    target_kind: str,
    pid: int | None = None,
    path: str | None = None,
    translate: Translate = lambda offset: offset,
    keep: Keep = lambda offset: True,
    first_window: bool = True,
) -> None:
    """Fold one pass's matches into `hits` (one hit per rule per target).

    A rule whose every instance lies in a window's overlap tail is skipped there: the next
    window finds it whole, so a match across a border is reported once.
    """
    for match in matches:
        found = instances(match, translate, keep)
        if not found and (match.strings or not first_window):
            continue
        key = f"{match.namespace}.{match.rule}"
        hit = hits.get(key)
        if hit is None:
            meta = dict(match.meta)
            hit = YaraHit(
                rule=match.rule,
                namespace=match.namespace,
                severity=rule_severity(meta),
                description=str(meta.get("description", "")),
                target=target,
                target_kind=target_kind,
                tags=list(match.tags),
                meta=meta,
                pid=pid,
                path=path,
            )
            hits[key] = hit
        hit.add_strings(found)
