"""`irkit scan`: YARA over files and trees, live process memory and memory images."""

import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import typer

from irkit.commands.maxcpu import MaxCpuOption
from irkit.commands.options import DEFAULT_FAIL_ON, FailOnOption, JsonOption, ProcOption
from irkit.console import err, host, out
from irkit.evidence.records import severity_rank
from irkit.exitcodes import ExitCode
from irkit.footprint import limit_cpu
from irkit.hunt.files import FileScanOptions, TreeStats, expand_paths, scan_tree
from irkit.hunt.libyara import Rules
from irkit.hunt.rules import RULE_CACHE_ENV, RuleError, RuleSet, analyst_cache_dir, compile_rules
from irkit.hunt.windows import DEFAULT_OVERLAP, DEFAULT_WINDOW, TargetResult

_SIZE = re.compile(r"^(?P<n>\d+)(?P<unit>[KMGT]?)i?B?$", re.IGNORECASE)
_COLOURS = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}

RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", "-r", help="Rule file or directory (default: the shipped pack)."),
]


def parse_size(text: str) -> int:
    """'64M', '1G', '4096' -> bytes."""
    found = _SIZE.match(text.strip())
    if found is None:
        raise typer.BadParameter(f"not a size: {text!r} (use e.g. 4096, 64M, 1G)")
    return int(found["n"]) << (10 * " KMGT".index(found["unit"].upper() or " "))


def _print_problems(exc: RuleError) -> None:
    for problem in exc.problems:
        err.print(f"[red]{host(problem)}[/]")


def _scan_pids(
    rules: Rules,
    pids: list[int],
    proc: Path,
    threads: int,
    window: int,
    overlap: int,
    timeout: float | None,
) -> Iterator[TargetResult]:
    from irkit.hunt.process import scan_process_memory  # only here: a tree scan starts faster

    def one(pid: int) -> TargetResult:
        return scan_process_memory(
            rules, pid, proc=proc, window=window, overlap=overlap, timeout=timeout
        )

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="yara-pid") as pool:
        yield from pool.map(one, pids)


def _not_usable(path: Path, directory_too: bool) -> str | None:
    """Why `path` cannot be scanned (missing, a FIFO, a device...), or None."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    if stat.S_ISREG(mode) or (directory_too and stat.S_ISDIR(mode)):
        return None
    return f"{path}: not a regular file" + (" or directory" if directory_too else "")


def _check_targets(paths: list[Path], pids: list[int], images: list[Path], proc: Path) -> None:
    """Refuse, before scanning, what names nothing: a typo must not read as a clean scan."""
    problems = [p for path in paths if (p := _not_usable(path, True))]
    problems += [
        f"pid {pid}: no such process in {proc}"
        for pid in pids
        if pid <= 0 or not (proc / str(pid)).is_dir()
    ]
    problems += [p for image in images if (p := _not_usable(image, False))]
    for problem in problems:
        err.print(f"[red]error:[/] {host(problem)}")
    if problems:
        raise typer.Exit(ExitCode.USAGE)


def _report(result: TargetResult) -> None:
    for hit in result.hits:
        colour = _COLOURS.get(hit.severity, "white")
        shown = ", ".join(f"{s.identifier}@{s.offset:#x}" for s in hit.strings[:3])
        exe = f" [{hit.path}]" if hit.pid is not None and hit.path else ""
        out.print(
            f"[{colour}]{hit.severity:8}[/] {host(hit.rule)}  {hit.target_kind} "
            f"{host(hit.target + exe)}" + (f"  ({host(shown)})" if shown else "")
        )
    for error in result.errors:
        err.print(f"[yellow]error[/] {host(result.target)}: {host(error)}")
    if result.timed_out:
        err.print(f"[yellow]timeout[/] {host(result.target)}")


def scan(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Files, directories or globs to scan.", show_default=False),
    ] = None,
    rules: RulesOption = None,
    pid: Annotated[
        list[int] | None, typer.Option("--pid", help="Scan this process's memory (repeatable).")
    ] = None,
    all_processes: Annotated[
        bool, typer.Option("--all-processes", help="Scan every process's memory but irkit's.")
    ] = False,
    image: Annotated[
        list[Path] | None,
        typer.Option("--image", help="Scan a memory image (raw/LiME/core) in chunks."),
    ] = None,
    json_out: JsonOption = False,
    fail_on: FailOnOption = DEFAULT_FAIL_ON,
    max_size: Annotated[
        str, typer.Option(help="Skip files larger than this (e.g. 128M).")
    ] = "128M",
    include: Annotated[
        list[str] | None, typer.Option(help="Only files matching this glob (repeatable).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Skip files matching this glob (repeatable).")
    ] = None,
    one_filesystem: Annotated[
        bool, typer.Option(help="Stay on the filesystem of each PATH.")
    ] = True,
    threads: Annotated[int, typer.Option(help="Scanner threads.")] = max(
        1, min(4, os.cpu_count() or 1)
    ),
    timeout: Annotated[float, typer.Option(help="Seconds per target (0: none).")] = 60,
    chunk_size: Annotated[
        str, typer.Option(help="Window for process memory and images (e.g. 64M).")
    ] = f"{DEFAULT_WINDOW >> 20}M",
    overlap: Annotated[
        str, typer.Option(help="Overlap between windows; longest match found across a border.")
    ] = f"{DEFAULT_OVERLAP >> 20}M",
    proc: ProcOption = Path("/proc"),
    rule_cache: Annotated[
        bool,
        typer.Option(
            help="Keep compiled rules in $XDG_CACHE_HOME/irkit/yara, keyed by the pack's"
            f" sha256 (also off with {RULE_CACHE_ENV}=0). Turn it off on a suspect host, where"
            " irkit writes nothing outside its output; triage and collect never write it."
        ),
    ] = True,
    max_cpu: MaxCpuOption = None,
) -> None:
    """Hunt with YARA in files, live process memory or memory images.

    PATHs are walked (one filesystem, special files skipped); --pid and --all-processes read
    process memory; --image streams an image in overlapping chunks. Default rules: the
    shipped pack. Exit 0 no hit at --fail-on or above, 1 such hits, 2 bad rules or usage: a
    PATH, pid or image that does not exist, or every target failed (all unreadable).
    """
    if not (paths or pid or all_processes or image):
        err.print("[red]error:[/] nothing to scan: give PATHs, --pid, --all-processes or --image")
        raise typer.Exit(ExitCode.USAGE)
    window, gap, cap = _sizes(chunk_size, overlap, max_size, timeout)
    ruleset = _compiled(rules, rule_cache)
    limit = timeout or None
    limit_cpu(max_cpu)
    stats = TreeStats()
    options = FileScanOptions(
        max_size=cap,
        one_filesystem=one_filesystem,
        include=include or [],
        exclude=exclude or [],
        threads=max(1, threads),
        timeout=limit,
        skip_files=frozenset(os.path.realpath(f) for f in ruleset.files),
    )
    roots = expand_paths(paths or [])
    pids = list(pid or [])
    _check_targets(roots, pids, list(image or []), proc)
    targets: list[Iterable[TargetResult]] = []
    if roots:
        targets.append(scan_tree(ruleset.rules, roots, options, stats=stats))
    if all_processes:
        from irkit.hunt.process import list_pids

        pids += [p for p in list_pids(proc) if p != os.getpid() and p not in pids]
    if pids:
        targets.append(_scan_pids(ruleset.rules, pids, proc, options.threads, window, gap, limit))
    if image:
        from irkit.hunt.image import scan_memory_image

        for path in image:
            targets.append(
                [scan_memory_image(ruleset.rules, path, window=window, overlap=gap, timeout=limit)]
            )
    results = _noteworthy(targets, report=not json_out)
    hits = [hit for result in results for hit in result.hits]
    if json_out:
        _print_json(ruleset.sha256, results, stats)
    else:
        err.print(f"{len(hits)} hit(s); {stats.files} file(s) scanned, {stats.skipped} skipped")
    scanned = stats.files + len(pids) + len(image or [])
    raise typer.Exit(_exit_code(results, scanned, fail_on))


def _exit_code(results: list[TargetResult], scanned: int, fail_on: str) -> ExitCode:
    """1 for a hit at or above `fail_on`, else 0; 2 when every one of the `scanned` targets
    failed (nothing was read: a usage error, not a clean scan)."""
    failed = sum(1 for result in results if not result.complete and not result.hits)
    if scanned and failed == scanned:
        err.print(f"[red]error:[/] every target failed ({failed}): nothing was scanned")
        return ExitCode.USAGE
    floor = severity_rank(fail_on)
    failing = any(severity_rank(hit.severity) >= floor for r in results for hit in r.hits)
    return ExitCode.FINDINGS if failing else ExitCode.CLEAN


def _compiled(rules: Path | None, rule_cache: bool) -> RuleSet:
    try:
        return compile_rules(rules, cache_dir=analyst_cache_dir() if rule_cache else None)
    except RuleError as exc:
        _print_problems(exc)
        raise typer.Exit(ExitCode.USAGE) from exc


def _sizes(chunk_size: str, overlap: str, max_size: str, timeout: float) -> tuple[int, int, int]:
    """The window, overlap and file size cap in bytes; a usage error (exit 2) for a size that
    does not parse, a negative timeout or an overlap not smaller than the window."""
    try:
        window, gap, cap = parse_size(chunk_size), parse_size(overlap), parse_size(max_size)
    except typer.BadParameter as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(ExitCode.USAGE) from exc
    if timeout < 0:
        err.print("[red]error:[/] --timeout must be 0 (none) or more seconds")
        raise typer.Exit(ExitCode.USAGE)
    if not 0 <= gap < window:
        err.print("[red]error:[/] --overlap must be smaller than --chunk-size")
        raise typer.Exit(ExitCode.USAGE)
    return window, gap, cap


def _noteworthy(targets: list[Iterable[TargetResult]], *, report: bool) -> list[TargetResult]:
    """The results with hits, errors or a timeout, each printed as it comes when `report`."""
    results: list[TargetResult] = []
    for batch in targets:
        for result in batch:
            if result.hits or result.errors or result.timed_out:
                results.append(result)
                if report:
                    _report(result)
    return results


def _print_json(rules_sha256: str, results: list[TargetResult], stats: TreeStats) -> None:
    print(
        json.dumps(
            {
                "rules_sha256": rules_sha256,
                "hits": [hit.to_dict() for result in results for hit in result.hits],
                "errors": [
                    {"target": r.target, "errors": r.errors, "timed_out": r.timed_out}
                    for r in results
                    if r.errors or r.timed_out
                ],
                "files": stats.files,
                "scanned_bytes": stats.scanned_bytes,
            },
            ensure_ascii=True,
            default=str,
            indent=2,
        )
    )
