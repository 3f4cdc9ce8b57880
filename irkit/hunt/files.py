"""Scan files and trees: globs, a size cap, one filesystem, no symlinks, parallel threads.

Each file is opened with `open_regular` (O_NOATIME, no blocking on FIFOs, only regular
files), mapped read-only and matched as data. Mapping instead of reading saves a copy of
every byte (measured: reading was a third of the gap to the yara CLI); a small file is read
in one call instead, which costs less than mapping it (SMALL_FILE). A file truncated
while it is scanned raises SIGBUS inside libyara, which catches it and fails that one
target ("could not map file"); irkit never touches the mapping itself. libyara releases
the GIL while matching, so threads scan in parallel.
"""

import fnmatch
import glob
import mmap
import os
import pwd
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from irkit.confined import OwnOutput, open_regular
from irkit.hunt.hits import YaraHit
from irkit.hunt.libyara import Rules, yara
from irkit.hunt.matching import match_buffer, merge_matches
from irkit.hunt.mentions import settle_mentions
from irkit.hunt.notevidence import is_evidence_dir, skip_reason
from irkit.hunt.windows import TargetResult
from irkit.lossless import fs_text, utf8_text

DEFAULT_MAX_SIZE = 128 << 20
DEFAULT_SKIP = ("/proc", "/sys", "/dev")
BATCH_FILES = 32
SMALL_FILE = 1 << 20
"""Files up to this size are read rather than mapped: for a small file, mapping it (the
mapping, a page fault per page, the unmapping) costs more than copying it (docs/performance.md,
"YARA scan")."""
BATCH_BYTES = 16 << 20

FILETYPES = (
    (b"\x7fELF", "ELF"),
    (b"MZ", "EXE"),
    (b"#!", "SCRIPT"),
    (b"PK\x03\x04", "ZIP"),
    (b"\x1f\x8b", "GZIP"),
)


@dataclass
class FileScanOptions:
    """How a tree is walked. `include`/`exclude` are fnmatch globs tried on the full path
    and on the file name; `skip` are directories never entered (on a live root);
    `skip_files` are real paths never scanned (the rule files in use, which would match
    themselves)."""

    max_size: int = DEFAULT_MAX_SIZE
    one_filesystem: bool = True
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    skip: tuple[str, ...] = DEFAULT_SKIP
    skip_files: frozenset[str] = frozenset()
    exclude_inodes: frozenset[tuple[int, int]] = frozenset()
    """(st_dev, st_ino) never scanned: irkit's own output, in a tree being hunted."""
    threads: int = max(1, min(4, os.cpu_count() or 1))
    timeout: float | None = 60
    skip_not_evidence: bool = False
    """Skip irkit's bundles, unpacked bundles and rule files (`notevidence`): a triage's tree
    hunts set it; `irkit scan` of a path the responder names does not."""
    newest_first: bool = False
    """List the whole tree first, then scan executables, then the rest, newest first: what a
    budget cuts off is the oldest data."""
    deadline: float | None = None
    """time.monotonic() after which no new file is started (the hunt's budget)."""


@dataclass
class TreeStats:
    files: int = 0
    scanned_bytes: int = 0
    skipped: int = 0
    errors: int = 0
    cut: bool = False
    """The deadline stopped the walk before every file was scanned."""


Log = Callable[..., object]
"""`log(step, outcome, error, **detail)`: Context.log has this shape."""


def expand_paths(patterns: Iterable[str]) -> list[Path]:
    """Shell-style globs in the arguments are expanded; a literal path is kept as given."""
    paths: list[Path] = []
    for pattern in patterns:
        matched = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else []
        paths.extend(Path(p) for p in matched or [pattern])
    return paths


def _selected(path: str, options: FileScanOptions) -> bool:
    name = os.path.basename(path)

    def hit(globs: list[str]) -> bool:
        return any(fnmatch.fnmatchcase(path, g) or fnmatch.fnmatchcase(name, g) for g in globs)

    return (not options.include or hit(options.include)) and not hit(options.exclude)


def walk_files(
    roots: Iterable[Path], options: FileScanOptions, log: Log | None = None
) -> Iterator[tuple[str, os.stat_result]]:
    """Regular files under `roots`, each once, never through a symlink, never into `skip`
    dirs, and (by default) never onto another filesystem than the root's. A root given as
    a symlink is followed once: the responder named it."""
    skip = {os.path.realpath(s) for s in options.skip}
    seen: set[tuple[int, int]] = set()
    for root in roots:
        top = os.path.realpath(root)
        try:
            top_stat = os.stat(top)
        except OSError as exc:
            _log(log, "scan-path", "error", exc, path=str(root))
            continue
        if stat.S_ISREG(top_stat.st_mode):
            found: Iterable[tuple[str, os.stat_result]] = [(top, top_stat)]
        elif stat.S_ISDIR(top_stat.st_mode):
            found = _walk_dir(top, top_stat.st_dev, skip, options, log)
            if options.newest_first:
                found = sorted(found, key=_priority)
        else:
            _log(log, "scan-path", "skipped", None, path=str(root), reason="not a file or dir")
            continue
        for path, info in found:
            key = (info.st_dev, info.st_ino)
            if key in options.exclude_inodes:
                _log(log, "scan-file", "skipped", OwnOutput(path), path=path)
                continue
            if key in seen or path in options.skip_files or not _selected(path, options):
                continue
            seen.add(key)
            reason = skip_reason(path, info.st_size) if options.skip_not_evidence else None
            if reason is not None:
                _log(log, "scan-file", "skipped", None, path=path, reason=reason)
                continue
            yield path, info


def _priority(found: tuple[str, os.stat_result]) -> tuple[bool, float]:
    """Executables first, then newest first."""
    info = found[1]
    return (not info.st_mode & 0o111, -info.st_mtime)


def _walk_dir(
    top: str, device: int, skip: set[str], options: FileScanOptions, log: Log | None
) -> Iterator[tuple[str, os.stat_result]]:
    pending = [top]
    while pending:
        directory = pending.pop()
        if directory in skip and directory != top:
            continue
        if options.skip_not_evidence and is_evidence_dir(directory):
            _log(
                log, "scan-walk", "skipped", None, path=directory, reason="an unpacked irkit bundle"
            )
            continue
        try:
            with os.scandir(directory) as entries:
                listed = list(entries)
        except OSError as exc:
            _log(log, "scan-walk", "error", exc, path=directory)
            continue
        for entry in listed:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as exc:
                _log(log, "scan-walk", "error", exc, path=entry.path)
                continue
            if stat.S_ISDIR(info.st_mode):
                if options.one_filesystem and info.st_dev != device:
                    continue
                if entry.path not in skip:
                    pending.append(entry.path)
            elif stat.S_ISREG(info.st_mode):
                yield entry.path, info


def _log(
    log: Log | None, step: str, outcome: str, exc: BaseException | None, **detail: object
) -> None:
    if log is None:
        return
    error = None
    if exc is not None:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        error = f"{type(exc).__name__}: {reason}"
    log(step, outcome, error, **detail)


def file_externals(path: str, head: bytes, uid: int) -> dict[str, str]:
    """The Loki/THOR externals of a file; names are host bytes made safe for libyara."""
    name = utf8_text(os.path.basename(path))
    return {
        "filename": name,
        "filepath": utf8_text(path),
        "extension": os.path.splitext(name)[1].lower(),
        "filetype": next((kind for magic, kind in FILETYPES if head.startswith(magic)), ""),
        "owner": utf8_text(_owner(uid)),
    }


_owners: dict[int, str] = {}


def _owner(uid: int) -> str:
    name = _owners.get(uid)
    if name is None:
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            name = str(uid)
        _owners[uid] = name
    return name


class FileScanner:
    """Scans single files; one instance is shared by the worker threads."""

    def __init__(self, rules: Rules, options: FileScanOptions | None = None) -> None:
        self.rules = rules
        self.options = options or FileScanOptions()

    def scan_file(
        self, path: str | bytes | Path, *, base: int = 0, follow: bool = False
    ) -> TargetResult:
        """Scan one file; hit offsets are file offsets plus `base`. A path may hold any bytes:
        it is lossless text (surrogateescape) in the result, valid UTF-8 for libyara. `follow`
        a last symlink only for the live /proc/PID/exe (a magic link)."""
        path = fs_text(path)
        result = TargetResult(path, "file")
        try:
            with open_regular(path, follow=follow, excluded=self.options.exclude_inodes) as handle:
                fd = handle.fileno()
                info = os.fstat(fd)
                if info.st_size > self.options.max_size:
                    result.notes.append(f"larger than {self.options.max_size} bytes, not scanned")
                    return result
                matches = self._match_fd(fd, path, info)
        except OSError as exc:
            result.errors.append(f"{type(exc).__name__}: {exc.strerror or exc}")
            return result
        except yara.TimeoutError:
            result.timed_out = True
            return result
        except yara.Error as exc:
            result.errors.append(f"yara: {exc}")
            return result
        hits: dict[str, YaraHit] = {}
        merge_matches(
            hits,
            matches,
            target=path,
            target_kind="file",
            path=path,
            translate=lambda offset: offset + base,
        )
        result.hits = settle_mentions(hits.values(), whole_file=True)
        result.scanned = info.st_size
        return result

    def _match_fd(self, fd: int, path: str, info: os.stat_result) -> list[object]:
        """A small file is read in one `pread`, which also gives its head; a larger one is
        mapped (no copy) after its head is read. A file that shrank is scanned as read."""
        if info.st_size <= SMALL_FILE:
            data = os.pread(fd, info.st_size, 0)
            return self._match(data, file_externals(path, data[:4], info.st_uid))
        head = os.pread(fd, 4, 0)
        externals = file_externals(path, head, info.st_uid)
        if not head:  # emptied since its size was taken
            return self._match(b"", externals)
        with mmap.mmap(fd, info.st_size, access=mmap.ACCESS_READ) as mapped:
            return self._match(mapped, externals)

    def _match(self, data: bytes | mmap.mmap, externals: dict[str, str]) -> list[object]:
        return match_buffer(self.rules, data, externals=externals, timeout=self.options.timeout)


def _batches(
    files: Iterable[tuple[str, os.stat_result]],
    options: FileScanOptions,
    stats: TreeStats,
    log: Log | None,
) -> Iterator[list[str]]:
    """Files grouped so one task scans several: a future per file cost ~5 % more CPU."""
    batch: list[str] = []
    size = 0
    for path, info in files:
        if info.st_size > options.max_size:
            stats.skipped += 1
            _log(log, "scan-file", "skipped", None, path=path, size=info.st_size)
            continue
        batch.append(path)
        size += info.st_size
        if len(batch) >= BATCH_FILES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def scan_tree(
    rules: Rules,
    roots: Iterable[Path],
    options: FileScanOptions | None = None,
    *,
    log: Log | None = None,
    stats: TreeStats | None = None,
) -> Iterator[TargetResult]:
    """Results of every file under `roots` that had a hit, an error or a timeout, in
    completion order. Errors are logged per target and the scan goes on."""
    options = options or FileScanOptions()
    stats = stats if stats is not None else TreeStats()
    scanner = FileScanner(rules, options)

    def scan_batch(paths: list[str]) -> list[TargetResult]:
        return [scanner.scan_file(path) for path in paths]

    queued: set[Future[list[TargetResult]]] = set()
    limit = options.threads * 2
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=options.threads, thread_name_prefix="yara") as pool:
        for batch in _batches(walk_files(roots, options, log), options, stats, log):
            if options.deadline is not None and time.monotonic() > options.deadline:
                stats.cut = True
                break
            queued.add(pool.submit(scan_batch, batch))
            if len(queued) >= limit:
                done, pending = wait(queued, return_when=FIRST_COMPLETED)
                queued = set(pending)
                yield from _finish(done, stats, log)
        done, _ = wait(queued)
        yield from _finish(done, stats, log)
    if log is not None:
        log(
            "scan-tree",
            "partial" if stats.cut else "ok",
            None,
            files=stats.files,
            bytes=stats.scanned_bytes,
            skipped=stats.skipped,
            errors=stats.errors,
            seconds=round(time.monotonic() - started, 3),
            **({"cut": "budget spent before every file was scanned"} if stats.cut else {}),
        )


def _finish(
    done: Iterable["Future[list[TargetResult]]"], stats: TreeStats, log: Log | None
) -> Iterator[TargetResult]:
    for future in done:
        for result in future.result():
            stats.files += 1
            stats.scanned_bytes += result.scanned
            for error in result.errors:
                stats.errors += 1
                _log(log, "scan-file", "error", None, path=result.target, reason=error)
            if result.timed_out:
                stats.errors += 1
                _log(log, "scan-file", "error", None, path=result.target, reason="timeout")
            if result.hits or result.errors or result.timed_out:
                yield result
