"""`archive index`: find bundles, verify and load them in parallel, stream rows into DuckDB.

Each bundle is verified and read in a worker process (`load.load_bundle`); the main process
only appends finished rows. At most `2 × jobs` bundles are in flight, so memory stays that of
a few bundles (and one batch of rows) whatever the number indexed, and workers are replaced
every `TASKS_PER_WORKER` bundles so none grows with the run. Rows are committed in batches, a
bundle's `bundles` row in the same transaction as its records: a bundle is known to the archive
only once all of it is in.

Incremental: a file whose path, size and mtime are already in `bundles` is not read again, and a
bundle whose sha256 is already indexed (a copy under another name) is not loaded twice.
"""

import multiprocessing
import os
import signal
import stat
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import forkserver
from pathlib import Path
from typing import Any

from irkit.archive.load import LoadedBundle, file_identity, load_bundle, text
from irkit.archive.schema import TABLES

BUNDLE_SUFFIX = ".zip"
ENCRYPTED_SUFFIX = ".zip.age"
TASKS_PER_WORKER = 64
BATCH_ROWS = 100_000


@dataclass
class IndexSummary:
    found: int = 0
    unchanged: int = 0
    duplicates: int = 0
    indexed: int = 0
    not_intact: int = 0
    refused: int = 0
    incomplete: int = 0
    rows: int = 0
    skipped: list[str] = field(default_factory=list)
    """Paths under the directories that were not indexed, and why (links, special files)."""
    failed: list[str] = field(default_factory=list)
    """Bundles irkit failed on (an error of irkit, a worker that died): not in the archive, so
    the next index tries them again."""


def find_bundles(roots: Iterable[Path], skipped: list[str]) -> list[Path]:
    """Every regular `*.zip` under the roots (a root may be one bundle), sorted; links and
    special files named like bundles are skipped and named, never followed."""
    found: set[Path] = set()
    for root in roots:
        if root.is_file() and not root.is_symlink():
            found.add(root.absolute())
            continue
        if not root.is_dir():
            skipped.append(f"{root}: not a directory or bundle")
            continue
        for directory, _dirs, files in os.walk(root, onerror=lambda e: skipped.append(str(e))):
            for name in files:
                if name.endswith(ENCRYPTED_SUFFIX):
                    where = text(str(Path(directory, name)))
                    skipped.append(f"{where}: encrypted; decrypt it to index it (age -d)")
                if not name.endswith(BUNDLE_SUFFIX):
                    continue
                candidate = Path(directory, name)
                try:
                    regular = stat.S_ISREG(os.lstat(candidate).st_mode)
                except OSError as exc:  # gone since the listing
                    skipped.append(f"{text(str(candidate))}: {exc.strerror}")
                    continue
                if regular:
                    found.add(candidate.absolute())
                else:
                    skipped.append(f"{text(str(candidate))}: not a regular file")
    return sorted(found)


def _known(connection: Any) -> tuple[set[tuple[str, int, int]], set[str]]:
    files = connection.execute("SELECT path, file_size, file_mtime_ns FROM bundles").fetchall()
    ids = connection.execute("SELECT bundle_id FROM bundles").fetchall()
    return {tuple(row) for row in files}, {row[0] for row in ids}


Outcome = tuple[Path, LoadedBundle | BaseException]


def _in_process(path: Path, load: Callable[[Path], LoadedBundle]) -> Outcome:
    try:
        return path, load(path)
    except Exception as exc:  # a bug of irkit on one bundle: that bundle is skipped, not the run
        return path, exc


def _loaded(
    paths: list[Path], jobs: int, load: Callable[[Path], LoadedBundle]
) -> Generator[Outcome, None, None]:
    """Each bundle loaded (or the error that stopped it), in order, never more than 2 × jobs
    in flight. The single file (PyInstaller) has no interpreter to start workers with: there
    the bundles are loaded in this process."""
    if jobs <= 1 or getattr(sys, "frozen", False):
        for path in paths:
            yield _in_process(path, load)
        return
    # Workers fork from a fresh server process with irkit's loader imported (not from this
    # process, which holds DuckDB's threads).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["irkit.archive.load"])
    _start_server_deaf_to_ctrl_c()
    pool = ProcessPoolExecutor(
        jobs, context, initializer=_worker_start, max_tasks_per_child=TASKS_PER_WORKER
    )
    try:
        pending: deque[tuple[Path, Future[LoadedBundle]]] = deque()
        for path in paths:
            pending.append((path, pool.submit(load, path)))
            if len(pending) >= 2 * jobs:
                yield _result(*pending.popleft())
        while pending:
            yield _result(*pending.popleft())
    finally:  # also on Ctrl-C: no worker is left starting up after irkit has gone
        pool.shutdown(wait=True, cancel_futures=True)


def _start_server_deaf_to_ctrl_c() -> None:
    """Ctrl-C reaches the whole process group: the main process stops the run (what is
    committed stays); the server and the workers must not each print a traceback. A Python
    started with SIGINT ignored keeps it ignored, and so do the workers forked from it."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


def _worker_start() -> None:
    """Ignore Ctrl-C in a worker whatever the server was started with (see above)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _result(path: Path, future: "Future[LoadedBundle]") -> Outcome:
    try:
        return path, future.result()
    except Exception as exc:  # also a worker that died (BrokenProcessPool)
        return path, exc


class Batches:
    """Rows of several bundles appended together and committed in one transaction, each
    bundle's `bundles` row after its records: a statement per table per bundle cost more than
    the loading itself. A batch holds at most BATCH_ROWS rows (plus one bundle's)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.appenders = {name: connection.appender(name) for name in TABLES}
        self.pending = 0

    def add(self, loaded: LoadedBundle) -> int:
        count = 0
        for table, rows in loaded.rows.items():
            if rows:
                self.appenders[table].append_rows(rows)
                count += len(rows)
        self.appenders["bundles"].append_row(*loaded.bundle_row())
        self.pending += count + 1
        if self.pending >= BATCH_ROWS:
            self.commit()
        return count

    def commit(self) -> None:
        if not self.pending:
            return
        self.connection.begin()
        for appender in self.appenders.values():
            appender.flush()
        self.connection.commit()
        self.pending = 0


def index_bundles(
    connection: Any,
    roots: Iterable[Path],
    *,
    jobs: int,
    intact_only: bool = False,
    trusted: set[bytes] | None = None,
    on_bundle: Callable[[LoadedBundle], None] = lambda _: None,
) -> IndexSummary:
    summary = IndexSummary()
    paths = find_bundles(roots, summary.skipped)
    summary.found = len(paths)
    known_files, known_ids = _known(connection)
    todo = []
    for path in paths:
        try:
            unchanged = (text(str(path)), *file_identity(path)) in known_files
        except OSError as exc:  # gone since it was found
            summary.skipped.append(f"{text(str(path))}: {exc.strerror}")
            continue
        if unchanged:
            summary.unchanged += 1
        else:
            todo.append(path)
    load = partial(load_bundle, intact_only=intact_only, trusted=trusted)
    batches = Batches(connection)
    loading = _loaded(todo, jobs, load)
    with closing(loading):  # an interrupt closes the pool before the error goes on
        for path, loaded in loading:
            if isinstance(loaded, BaseException):
                summary.failed.append(f"{text(str(path))}: {type(loaded).__name__}: {loaded}")
                continue
            bundle = loaded.bundle
            if bundle["bundle_id"] in known_ids:
                summary.duplicates += 1
                continue
            known_ids.add(bundle["bundle_id"])
            summary.rows += batches.add(loaded)
            summary.indexed += 1
            summary.refused += bundle.get("refused") is not None
            summary.not_intact += not bundle.get("intact")
            summary.incomplete += bundle.get("complete") is False
            on_bundle(loaded)
    batches.commit()
    return summary
