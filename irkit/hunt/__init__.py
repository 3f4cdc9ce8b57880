"""YARA hunting: compile the rule pack once, scan files, live processes and memory images.

The API other parts use (collections, the memory issue, review re-hunts):

    from irkit.hunt import compile_rules, scan_tree, FileScanner, scan_process_memory,
                           scan_memory_image, hits_to_findings

    ruleset = compile_rules()                     # shipped pack; or compile_rules(Path(dir))
    for result in scan_tree(ruleset.rules, [Path("/tmp")], FileScanOptions(), log=ctx.log):
        ...                                       # TargetResult per file with hits/errors
    one = FileScanner(ruleset.rules).scan_file(core_path, base=0)
    mem = scan_process_memory(ruleset.rules, pid, proc=ctx.proc)   # offsets = virtual addrs
    img = scan_memory_image(ruleset.rules, image, start=s, length=n, base=phys)  # phys addrs
    for finding in hits_to_findings(img.hits): ctx.emit(finding)
    log_scan_problems(ctx.log, result)   # irkit.hunt.bundle: errors/timeouts as log lines

Every scanner returns `TargetResult` (target, target_kind, hits: list[YaraHit], scanned,
errors, notes, timed_out) and never raises for a bad target: what went wrong is in
`errors`. Only `compile_rules` raises (`RuleError`, with file and line of each problem).
A `YaraHit` is one rule on one target, with at most MAX_STRINGS matched strings.

The names are loaded on first use (PEP 562): `irkit scan` of a tree imports the file scanner
and the rules, not the process and image scanners nor what they parse (start-up, see
docs/performance.md).
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names, typed, as `X as X` re-exports
    from irkit.hunt.files import FileScanner as FileScanner
    from irkit.hunt.files import FileScanOptions as FileScanOptions
    from irkit.hunt.files import TreeStats as TreeStats
    from irkit.hunt.files import expand_paths as expand_paths
    from irkit.hunt.files import scan_tree as scan_tree
    from irkit.hunt.hits import MatchedString as MatchedString
    from irkit.hunt.hits import YaraHit as YaraHit
    from irkit.hunt.hits import at_least as at_least
    from irkit.hunt.hits import hit_to_finding as hit_to_finding
    from irkit.hunt.hits import hits_to_findings as hits_to_findings
    from irkit.hunt.image import scan_memory_image as scan_memory_image
    from irkit.hunt.process import list_pids as list_pids
    from irkit.hunt.process import scan_process_memory as scan_process_memory
    from irkit.hunt.rules import EXTERNALS as EXTERNALS
    from irkit.hunt.rules import RuleError as RuleError
    from irkit.hunt.rules import RuleSet as RuleSet
    from irkit.hunt.rules import compile_rules as compile_rules
    from irkit.hunt.rules import default_rules_path as default_rules_path
    from irkit.hunt.windows import TargetResult as TargetResult

_WHERE = {
    "files": ("FileScanner", "FileScanOptions", "TreeStats", "expand_paths", "scan_tree"),
    "hits": ("MatchedString", "YaraHit", "at_least", "hit_to_finding", "hits_to_findings"),
    "image": ("scan_memory_image",),
    "process": ("list_pids", "scan_process_memory"),
    "rules": ("EXTERNALS", "RuleError", "RuleSet", "compile_rules", "default_rules_path"),
    "windows": ("TargetResult",),
}
"""Where each name is defined (the imports above, for the type checker)."""
_MODULE = {name: module for module, names in _WHERE.items() for name in names}


if not TYPE_CHECKING:  # hidden from mypy, which would otherwise type any name as Any

    def __getattr__(name: str) -> Any:
        module = _MODULE.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)
