"""The archive's one file: DuckDB, embedded, imported only when an archive command runs.

A new archive is built in a fresh private directory beside its final name and renamed into
place without replacing anything (as a bundle is published), so nothing is ever written
through a link planted at the name and an interrupted first index leaves no half-built file
under it. An existing archive is opened in place (DuckDB's own transactions keep it whole),
only when it is a regular file.
"""

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from irkit.archive.schema import create_statements
from irkit.commands.output import fsync_directory, publish

INDEX_MEMORY_LIMIT = "64MB"
"""DuckDB's buffer pool while indexing: by default it keeps pages up to 80% of the machine's
memory, so the indexing process would grow with the archive; past this it writes them out
(measured, benchmarks/archive.py: 256 MB let the process grow from 206 to 352 MiB between 250
and 1,000 bundles, 128 MB from 223 to 261, 64 MB kept it at 162 to 172 and did not slow
appending: 16 rounds of 60 bundles took the same time each)."""
INSTALL_HINT = "the archive needs DuckDB: pip install 'irkit[archive]' (or pip install duckdb)"


class ArchiveError(Exception):
    """The archive cannot be opened or written; the message says why (exit 2)."""


def duckdb_module() -> ModuleType:
    try:
        import duckdb
    except ImportError as exc:
        raise ArchiveError(INSTALL_HINT) from exc
    return duckdb


def _check_regular(path: Path) -> None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError as exc:
        raise ArchiveError(f"{path}: no such archive") from exc
    if not stat.S_ISREG(mode):
        raise ArchiveError(f"{path}: not a regular file (a link, directory or device)")


def quiet(connection: Any) -> Any:
    """No progress bar: DuckDB draws one on the terminal for a long statement, in the middle
    of irkit's output (and into `--json`)."""
    connection.execute("SET enable_progress_bar = false")
    return connection


def connect(path: Path, *, read_only: bool) -> Any:
    """An open DuckDB connection; ArchiveError naming the file when it is not an archive."""
    duckdb = duckdb_module()
    _check_regular(path)
    try:
        return quiet(duckdb.connect(str(path), read_only=read_only))
    except duckdb.Error as exc:
        raise ArchiveError(f"{path}: not a DuckDB archive ({exc})") from exc


def _prepare(connection: Any) -> None:
    connection.execute(f"SET memory_limit = '{INDEX_MEMORY_LIMIT}'")
    quiet(connection)
    for statement in create_statements():
        connection.execute(statement)


@contextmanager
def writable_archive(path: Path) -> Iterator[Any]:
    """The archive at `path` opened for indexing, created (tables included) if it is new."""
    if os.path.lexists(path):
        connection = connect(path, read_only=False)
        try:
            _prepare(connection)
            yield connection
        finally:
            connection.close()
        return
    if not path.parent.is_dir():
        raise ArchiveError(f"{path.parent} does not exist")
    scratch = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent))
    fresh = scratch / path.name
    connection = duckdb_module().connect(str(fresh))
    try:
        _prepare(connection)
        yield connection
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    try:
        publish(fresh, path, force=False)
        fsync_directory(path.parent)
    except FileExistsError as exc:
        raise ArchiveError(f"{path} appeared while indexing; the new archive is {fresh}") from exc
    for leftover in scratch.iterdir():  # DuckDB's write-ahead log, empty after the checkpoint
        leftover.unlink()
    scratch.rmdir()
