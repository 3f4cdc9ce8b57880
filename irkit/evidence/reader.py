"""Read a bundle back without extracting anything to disk: the one reader for every command.

A bundle is hostile input: it may be truncated, bit-flipped, zip-bombed or crafted by hand.
Everything that reads one (verify, review, rescan, `review --memory`, timeline, the report)
goes through `BundleReader`, which holds these rules:

- only a regular file is opened as a bundle (a FIFO would hang the reader);
- members whose names climb out of a folder, or whose external attributes say symlink or any
  other non-regular file, are `unsafe` (verify refuses the bundle); encrypted members, members
  compressed otherwise than irkit writes them, and names present twice are never read;
- no member inflates past what it may hold: its manifest size, or a named cap for the manifest
  and members the manifest does not list. A header announcing more is refused before
  inflating, and inflation stops at that size whatever the header says;
- JSON (manifest, record lines, log lines, iocs.json) is bounded per document, per line and in
  total; a line that is too long, too deep, not JSON or not an object is a named skip.

Each cap is a constant below, documented in docs/bundle-format.md.
"""

import hashlib
import io
import os
import stat
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from irkit.evidence.manifest import LOG_NAME, MANIFEST_NAME, Manifest
from irkit.evidence.names import unsafe_member_reason
from irkit.evidence.safejson import JsonError, parse_json

MANIFEST_MAX_BYTES = 64 << 20
"""The largest manifest read (about 200,000 members)."""
UNLISTED_MEMBER_MAX_BYTES = 64 << 20
"""The most read of a member the manifest does not list (or of any member when the manifest
cannot be read): enough for records and iocs.json, never a bomb."""
JSON_MEMBER_MAX_BYTES = 64 << 20
"""The most read of a member parsed as one JSON document (iocs.json)."""
LINE_MAX_BYTES = 16 << 20
"""The longest record or log line parsed; a longer one is skipped and named."""
RECORDS_MAX = 1_000_000
"""Records loaded from one bundle; the rest are counted as skipped."""
RECORDS_MAX_BYTES = 512 << 20
"""Bytes of record lines loaded from one bundle."""
LOG_MAX_ENTRIES = 200_000
"""Collection log entries loaded from one bundle."""
LOG_MAX_BYTES = 64 << 20
"""Bytes of collection log lines loaded from one bundle."""

CHUNK = 1 << 20
READABLE_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    struct.error,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    OverflowError,
    IndexError,
)
"""What zipfile raises on a corrupt archive or member (checked by the bit-flip tests)."""


class BundleError(Exception):
    """The file cannot be read as an irkit bundle; the message says why."""


class MemberError(BundleError):
    """One member cannot be read (refused, larger than allowed, corrupt); the message names it."""


def check_regular_file(path: Path) -> None:
    """A bundle is a regular file: a FIFO or a device given by mistake must not hang irkit."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError as exc:
        raise BundleError(f"{path}: no such file") from exc
    except OSError as exc:
        raise BundleError(f"{path}: cannot be read ({exc.strerror})") from exc
    if not stat.S_ISREG(mode):
        raise BundleError(f"{path}: not a regular file")


def _attribute_problem(info: zipfile.ZipInfo) -> str | None:
    """A Unix file type in the external attributes must be a regular file (no type is fine:
    Python's zipfile writes none)."""
    mode = info.external_attr >> 16
    if info.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        kind = "a symlink" if stat.S_ISLNK(mode) else "not a regular file"
        return f"its attributes make it {kind} (mode {mode:o})"
    return None


def _read_problem(info: zipfile.ZipInfo) -> str | None:
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.compress_type not in READABLE_COMPRESSION:
        return f"compression method {info.compress_type} is not one irkit writes"
    return None


class _Bounded(io.RawIOBase):
    """A member's bytes, never more than `limit`: the inflater cannot be made to run past it."""

    def __init__(self, raw: IO[bytes], name: str, limit: int) -> None:
        self._raw, self._name, self._left = raw, name, limit
        self._limit = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), self._left + 1)
        try:
            data = self._raw.read(want)
        except ZIP_ERRORS as exc:
            raise MemberError(f"{self._name}: unreadable ({exc})") from exc
        if len(data) > self._left:
            raise MemberError(f"{self._name}: holds more than the {self._limit} bytes it may")
        self._left -= len(data)
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


@dataclass
class _Budget:
    """How many more lines and bytes of JSON lines a reader loads."""

    items: int
    size: int


class BundleReader:
    def __init__(self, path: str | Path, *, shown: str | Path | None = None) -> None:
        """`shown`: the name messages give the bundle when `path` is not it (a decrypted copy
        in memory is read through /proc/self/fd/N)."""
        source = Path(path)
        self.path = Path(shown) if shown is not None else source
        check_regular_file(source)
        try:
            self.zip = zipfile.ZipFile(source)
            infos = self.zip.infolist()
        except ZIP_ERRORS as exc:
            raise BundleError(f"{self.path}: not a readable zip archive ({exc})") from exc
        counts = Counter(info.filename for info in infos)
        self.duplicates = {name: n for name, n in counts.items() if n > 1}
        """Names present more than once: which copy a tool shows is ambiguous, none is read."""
        self.unsafe_names = [
            (info.filename, reason)
            for info in infos
            if (reason := unsafe_member_reason(info.filename) or _attribute_problem(info))
        ]
        """Members an unzip would write outside its folder or as a link: the bundle is refused."""
        self._unreadable = {
            info.filename: reason
            for info in infos
            if (reason := _read_problem(info) or _attribute_problem(info))
        }
        self._infos = {info.filename: info for info in infos}
        self._manifest: Manifest | None = None
        self._manifest_error: BundleError | None = None
        self.manifest_sha256: str | None = None
        self.manifest_bytes: bytes | None = None
        """The manifest exactly as stored: what its sha256 and its signature cover."""
        self._sizes: dict[str, int] = {}
        self.problems: list[str] = []
        """Parts of the bundle skipped while reading records, named by member and line."""
        self._records = _Budget(RECORDS_MAX, RECORDS_MAX_BYTES)

    def __enter__(self) -> "BundleReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()

    @property
    def comment(self) -> bytes:
        return self.zip.comment

    @property
    def manifest(self) -> Manifest:
        """The parsed manifest; BundleError (the same one each time) when it cannot be read."""
        if self._manifest is None:
            if self._manifest_error is None:
                try:
                    self._manifest = self._load_manifest()
                except BundleError as exc:
                    self._manifest_error = exc
            if self._manifest_error is not None:
                raise self._manifest_error
        assert self._manifest is not None
        return self._manifest

    def _load_manifest(self) -> Manifest:
        if MANIFEST_NAME not in self._infos:
            raise BundleError(f"{self.path}: no {MANIFEST_NAME} in the archive")
        try:
            raw = self._read(MANIFEST_NAME, MANIFEST_MAX_BYTES)
            manifest = Manifest.from_json(raw)
        except (MemberError, ValueError) as exc:
            raise BundleError(f"{self.path}: {MANIFEST_NAME} is unreadable: {exc}") from exc
        self.manifest_sha256 = hashlib.sha256(raw).hexdigest()
        self.manifest_bytes = raw
        self._sizes = {m.name: m.size for m in manifest.members}
        return manifest

    def size_limit(self, name: str) -> int:
        """The most `name` may inflate to: its manifest size, or a cap if it is not listed."""
        if name == MANIFEST_NAME:
            return MANIFEST_MAX_BYTES
        if self.manifest_or_none() is None:
            return UNLISTED_MEMBER_MAX_BYTES
        return self._sizes.get(name, UNLISTED_MEMBER_MAX_BYTES)

    def manifest_or_none(self) -> Manifest | None:
        try:
            return self.manifest
        except BundleError:
            return None

    def names(self) -> list[str]:
        """Every member name once, in archive order."""
        return list(self._infos)

    def size(self, name: str) -> int:
        """What reading `name` may give at most (its header size, never above its limit)."""
        return min(self._info(name).file_size, self.size_limit(name))

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self._infos.get(name)
        if info is None:
            raise MemberError(f"{name}: not in the archive")
        return info

    def open(self, name: str) -> IO[bytes]:
        return self._open(name, self.size_limit(name))

    def _open(self, name: str, limit: int) -> IO[bytes]:
        info = self._info(name)
        if name in self.duplicates:
            raise MemberError(f"{name}: appears {self.duplicates[name]} times in the archive")
        if (problem := self._unreadable.get(name)) is not None:
            raise MemberError(f"{name}: refused, {problem}")
        if info.file_size > limit:
            raise MemberError(
                f"{name}: its header says {info.file_size} bytes, more than the {limit} it may hold"
            )
        try:
            raw = self.zip.open(info)
        except ZIP_ERRORS as exc:
            raise MemberError(f"{name}: unreadable ({exc})") from exc
        return io.BufferedReader(_Bounded(raw, name, limit), CHUNK)

    def read(self, name: str, cap: int | None = None) -> bytes:
        """The whole member, bounded by its size limit (and `cap`): for members known to be
        small."""
        return self._read(name, self.size_limit(name) if cap is None else cap)

    def _read(self, name: str, cap: int) -> bytes:
        with self._open(name, min(cap, self.size_limit(name))) as handle:
            return handle.read()

    def read_json(self, name: str) -> Any:
        """One JSON document (iocs.json); MemberError naming the member when it is bad."""
        try:
            return parse_json(self._read(name, JSON_MEMBER_MAX_BYTES))
        except JsonError as exc:
            raise MemberError(f"{name}: {exc}") from exc

    def json_lines(
        self, name: str, problems: list[str], budget: _Budget | None = None
    ) -> Iterator[dict[str, Any]]:
        """The JSON objects of a JSON Lines member; each bad line, and a member that stops
        being readable, is a line in `problems`, never an exception."""
        budget = budget or self._records
        try:
            with self.open(name) as handle:
                number = 0
                while line := handle.readline(LINE_MAX_BYTES + 1):
                    number += 1
                    if len(line) > LINE_MAX_BYTES:
                        problems.append(f"{name} line {number}: longer than {LINE_MAX_BYTES} bytes")
                        while line and not line.endswith(b"\n"):
                            line = handle.readline(CHUNK)
                        continue
                    if not line.strip():
                        continue
                    if budget.items <= 0 or budget.size < len(line):
                        problems.append(f"{name} line {number}: not loaded, the reading cap is hit")
                        return
                    budget.items -= 1
                    budget.size -= len(line)
                    try:
                        record = parse_json(line)
                    except JsonError as exc:
                        problems.append(f"{name} line {number}: {exc}")
                        continue
                    if not isinstance(record, dict):
                        problems.append(f"{name} line {number}: not a JSON object")
                        continue
                    yield record
        except MemberError as exc:
            problems.append(str(exc))

    def record_members(self) -> list[str]:
        return [n for n in self._infos if n.startswith("records/") and n.endswith(".jsonl")]

    def records(self, kind: str | None = None) -> Iterator[dict[str, Any]]:
        """Every record in records/*.jsonl, optionally only those of one type; what cannot be
        read is added to `problems`."""
        for name in self.record_members():
            for record in self.json_lines(name, self.problems):
                if kind is None or record.get("type") == kind:
                    yield record

    def log_entries(self) -> list[dict[str, Any]]:
        if LOG_NAME not in self._infos:
            return []
        budget = _Budget(LOG_MAX_ENTRIES, LOG_MAX_BYTES)
        return list(self.json_lines(LOG_NAME, self.problems, budget))
