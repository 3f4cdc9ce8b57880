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
"""

from irkit.hunt.files import FileScanner, FileScanOptions, TreeStats, expand_paths, scan_tree
from irkit.hunt.hits import MatchedString, YaraHit, at_least, hit_to_finding, hits_to_findings
from irkit.hunt.image import scan_memory_image
from irkit.hunt.process import list_pids, scan_process_memory
from irkit.hunt.rules import EXTERNALS, RuleError, RuleSet, compile_rules, default_rules_path
from irkit.hunt.windows import TargetResult

__all__ = [
    "EXTERNALS",
    "FileScanOptions",
    "FileScanner",
    "MatchedString",
    "RuleError",
    "RuleSet",
    "TargetResult",
    "TreeStats",
    "YaraHit",
    "at_least",
    "compile_rules",
    "default_rules_path",
    "expand_paths",
    "hit_to_finding",
    "hits_to_findings",
    "list_pids",
    "scan_memory_image",
    "scan_process_memory",
    "scan_tree",
]
