"""Files that only mention miners: YARA and Sigma rules, osquery packs, Falco rules, docs.

A rule file names every indicator it hunts for, so the pack would call each one a miner.
The pack's marker rules (meta `cap`, in mentions.yar) recognise the container format; here
their verdict is applied to the other hits on the same file: `cap = "low"` lowers them to
low, `cap = "none"` (a copy of irkit's own pack) drops them. Markers themselves are never
reported. Caps apply to whole files only: a memory window or disk image holding a rule file
next to a miner is not one document, so there only the markers are dropped.

An attacker who wraps a dropper in a YARA-looking rule block lowers that file's rule hits
to low; the process, persistence and config analyses still see the miner it starts.
"""

from collections.abc import Iterable

from irkit.evidence.records import severity_rank
from irkit.hunt.hits import YaraHit

CAP_META = "cap"
CAPPED_TO = "low"


def settle_mentions(hits: Iterable[YaraHit], *, whole_file: bool) -> list[YaraHit]:
    """The hits worth reporting once the mention markers among them have had their say."""
    hits = list(hits)
    caps = {str(hit.meta.get(CAP_META)) for hit in hits if hit.meta.get(CAP_META)}
    kept = [hit for hit in hits if not hit.meta.get(CAP_META)]
    if not whole_file or not caps:
        return kept
    if "none" in caps:
        return []
    marker = ", ".join(sorted(h.rule for h in hits if h.meta.get(CAP_META)))
    for hit in kept:
        if severity_rank(hit.severity) > severity_rank(CAPPED_TO):
            hit.severity = CAPPED_TO
            hit.description += f" (capped to {CAPPED_TO}: the file is a mention, {marker})"
    return kept
