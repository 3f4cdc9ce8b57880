"""Stream members into a ZIP64 bundle, hashing each one as it is written.

The output goes through a `HashingSink` (irkit.evidence.sink): non-seekable, so `-o -` works
and the bundle's sha256 comes in the same pass; it also turns a full disk into a clean stop
(`OutputFull`, raised here between chunks, never inside a zip write) and a sealed bundle.
"""

import hashlib
import os
import stat
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from irkit import __version__
from irkit.evidence.log import CollectionLog, LogEntry
from irkit.evidence.manifest import (
    COMMENT_PREFIX,
    FILES_RECORDS_NAME,
    LOG_NAME,
    MANIFEST_NAME,
    SEALING_NAMES,
    SIGNATURE_NAME,
    Manifest,
    MemberEntry,
)
from irkit.evidence.names import safe_member_name
from irkit.evidence.records import FileRecord, Record, dumps_record
from irkit.evidence.sink import BundleSink, HashingSink, OutputFull
from irkit.evidence.statx import birth_time
from irkit.footprint import throttle
from irkit.interrupts import InterruptGuard
from irkit.lossless import fs_text
from irkit.timeutil import utc_iso, utc_now_iso

CHUNK = 1 << 20
ZIP64_THRESHOLD = 1 << 31
ZIP_FIRST, ZIP_LAST = (1980, 1, 1, 0, 0, 0), (2107, 12, 31, 23, 59, 58)
"""The dates a zip entry can hold; a source's mtime outside them is clamped."""


def zip_date_time(mtime: float | None) -> tuple[int, int, int, int, int, int]:
    """A member's zip date (UTC): its source file's mtime, so `unzip -l` and extraction show
    when the file last changed; the time of writing for members irkit makes."""
    try:
        moment = time.gmtime(time.time() if mtime is None else mtime)[:6]
    except (OverflowError, OSError, ValueError):
        moment = ZIP_LAST if mtime is not None and mtime > 0 else ZIP_FIRST
    return max(ZIP_FIRST, min(ZIP_LAST, moment))


DEFLATE_LEVEL = 1
"""Measured (docs/performance.md): level 1 deflates 3.3x faster than zlib's default 6 on text
(161 vs 50 MiB/s of CPU) and 3.6x on binaries (70 vs 19 MiB/s) for a bundle 25 % (text) or
9 % (binaries) larger; at 6, deflating the copies was slower than the disk it writes to."""


@dataclass
class Seal:
    manifest_sha256: str
    bundle_sha256: str
    members: int
    complete: bool
    reason: str | None = None
    """Why the bundle is incomplete, as its manifest says."""
    signed_by: str | None = None
    """The fingerprint of the key that signed the manifest."""


@dataclass
class Custody:
    """How the bundle is sealed beyond its hashes: `sign` turns the manifest's bytes into
    its signature (`signed_by` names the key); `encrypted_to` lists the recipients."""

    sign: Callable[[bytes], bytes] | None = None
    signed_by: str | None = None
    encrypted_to: Sequence[str] = ()

    def manifest_entry(self) -> dict[str, Any] | None:
        if self.sign is None and not self.encrypted_to:
            return None
        return {"signed_by": self.signed_by, "encrypted_to": list(self.encrypted_to)}


def _chunks(
    source: IO[bytes] | Iterable[bytes], limit: int | None, expected: int = 0
) -> Iterable[bytes]:
    """`source` in chunks, cut at `limit`. `expected`: the size fstat gave a regular file; a
    short read that reaches it is the end, which spares a read() per file for EOF (procfs
    files say 0 and are read to EOF)."""
    remaining = limit
    total = 0
    if isinstance(source, Iterable) and not hasattr(source, "read"):
        for chunk in source:
            if remaining is not None:
                chunk = chunk[:remaining]
                remaining -= len(chunk)
            yield chunk
            if remaining == 0:
                return
        return
    reader: IO[bytes] = source  # type: ignore[assignment]
    while True:
        want = CHUNK if remaining is None else min(CHUNK, remaining)
        if want == 0:
            return
        if total < expected:
            want = min(want, expected - total + 1)  # no 1 MiB buffer for a 200-byte file
        chunk = reader.read(want)
        if not chunk:
            return
        if remaining is not None:
            remaining -= len(chunk)
        total += len(chunk)
        yield chunk
        if 0 < expected <= total and len(chunk) < want:
            return


RECORD_BATCH = 256
"""Record lines per chunk written: each chunk is a zip write, a hash update and an interrupt
window, which one line at a time cost more than encoding the line."""


def _record_lines(records: Sequence[Record]) -> Iterator[bytes]:
    """The records as JSON lines, RECORD_BATCH lines per chunk."""
    for start in range(0, len(records), RECORD_BATCH):
        batch = records[start : start + RECORD_BATCH]
        yield "".join([dumps_record(r) + "\n" for r in batch]).encode()


class _TeeCopy:
    """One host file read once: the member's chunks, the bytes kept for parsing, and the hash
    of the whole original, which may go on past the copy's cap."""

    def __init__(
        self, handle: IO[bytes], origin: str, limit: int | None, keep: int, expected: int = 0
    ) -> None:
        self.handle = handle
        self.expected = expected
        """The size fstat gave (0 for procfs files): a short read reaching it is the end."""
        self.origin = origin
        self.limit = limit
        self.keep = keep
        self.kept = bytearray()
        self.whole = hashlib.sha256()
        self.read = 0
        self.cut: str | None = None
        """Why the copy stops short of the original (a cap hit)."""
        self.cap: str | None = None
        self.failure: str | None = None
        """Why reading stopped early (an error or an interrupt): the original is not hashed."""
        self.not_hashed: str | None = None

    def chunks(self) -> Iterator[bytes]:
        try:
            for chunk in _chunks(self.handle, self.limit, self.expected):
                self.whole.update(chunk)
                self.read += len(chunk)
                if len(self.kept) < self.keep:
                    self.kept.extend(chunk[: self.keep - len(self.kept)])
                yield chunk
        except OSError as exc:
            self.failure = f"read error after {self.read} bytes: {exc.strerror or exc}"

    def read_past(self, hash_limit: int, cap: str) -> None:
        """Hash on past the cap, up to `hash_limit` bytes in all; one byte more says whether
        the original ends there."""
        copied = self.read
        try:
            for chunk in _chunks(self.handle, hash_limit - copied):
                self.whole.update(chunk)
                self.read += len(chunk)
            beyond = bool(self.handle.read(1))
        except OSError as exc:
            beyond = True
            self.not_hashed = f"read error past the cap after {self.read} bytes: {exc.strerror}"
        if self.read == copied and not beyond:
            return
        self.cap = cap
        self.cut = f"cut at the {cap} cap ({copied} bytes)"
        if beyond and self.not_hashed is None:
            self.not_hashed = f"larger than the hash_bytes cap ({hash_limit} bytes)"

    def record(self, entry: MemberEntry, st: os.stat_result, collector: str) -> FileRecord:
        born = birth_time(self.handle.fileno())
        reason = self.failure or self.cut
        if reason is None and stat.S_ISREG(st.st_mode) and self.read < st.st_size:
            reason = f"the file shrank while read: {self.read} of {st.st_size} bytes"
        whole = self.failure is None and self.not_hashed is None
        return FileRecord(
            path=self.origin,
            member=entry.name,
            collector=collector,
            sha256=self.whole.hexdigest() if whole else None,
            size=entry.size,
            mode=st.st_mode,
            uid=st.st_uid,
            gid=st.st_gid,
            mtime=utc_iso(st.st_mtime),
            atime=utc_iso(st.st_atime),
            ctime=utc_iso(st.st_ctime),
            crtime=None if born is None else utc_iso(born),
            partial=reason is not None or entry.partial,
            partial_reason=reason,
            cap=self.cap,
            original_size=self.read if whole else (st.st_size or None),
            not_hashed=None if whole else (self.not_hashed or f"not read whole: {reason}"),
        )


class EvidenceWriter:
    def __init__(
        self,
        sink: BinaryIO | BundleSink,
        *,
        command_line: Sequence[str],
        guard: InterruptGuard | None = None,
        on_log: Callable[[LogEntry], None] | None = None,
        custody: Custody | None = None,
    ) -> None:
        self._sink = sink if isinstance(sink, BundleSink) else HashingSink(sink)
        self._sealing = False
        self._zip = zipfile.ZipFile(self._sink, "w", compression=zipfile.ZIP_DEFLATED)
        self._guard = guard or InterruptGuard()
        self.log = CollectionLog(on_log)
        self.command_line = list(command_line)
        self.started = utc_now_iso()
        self.host: dict[str, Any] = {}
        self.members: list[MemberEntry] = []
        self._names: set[str] = {*SEALING_NAMES, LOG_NAME, FILES_RECORDS_NAME}
        self._file_records: dict[str, FileRecord] = {}
        self.records_by_member: dict[str, Sequence[Record]] = {}
        """Every records member written so far, for the report built before sealing."""
        self.excluded_inodes: set[tuple[int, int]] = set()
        self.custody = custody or Custody()

    def unique_name(self, name: str) -> str:
        name = safe_member_name(name)
        candidate, n = name, 1
        while candidate in self._names:
            n += 1
            candidate = f"{name}~{n}"
        return candidate

    def write_stream(
        self,
        name: str,
        source: IO[bytes] | Iterable[bytes],
        *,
        collector: str,
        origin: str | None = None,
        limit: int | None = None,
        compress: bool = True,
        large: bool = False,
        reserved: bool = False,
        mtime: float | None = None,
    ) -> MemberEntry:
        """Write one member chunk by chunk; an interrupt leaves it closed and marked partial.
        `mtime` is the source file's, kept as the zip entry's date."""
        name = name if reserved else self.unique_name(name)
        self._names.add(name)
        info = zipfile.ZipInfo(name, date_time=zip_date_time(mtime))
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        # A ZipInfo given to open() keeps its own level (a public name only from Python 3.13).
        info._compresslevel = DEFLATE_LEVEL  # type: ignore[attr-defined]
        info.external_attr = (stat.S_IFREG | 0o444) << 16
        sha = hashlib.sha256()
        size = 0
        partial = True
        out: IO[bytes] | None = None
        chunks = iter(_chunks(source, limit))
        # The whole member is one critical section, so that a signal can never land between
        # opening, writing, closing and listing it; only reading the source is a window where
        # it may stop the work (a slow host read), with the archive consistent.
        with self._guard.critical():
            try:
                out = self._zip.open(info, "w", force_zip64=large)
                while True:
                    with self._guard.window():
                        throttle()  # --max-cpu, where a signal may still stop the wait
                        chunk = next(chunks, None)
                    if chunk is None:
                        break
                    out.write(chunk)
                    sha.update(chunk)
                    size += len(chunk)
                    self._stop_if_full()
                partial = False
            finally:
                entry = MemberEntry(
                    name, sha.hexdigest(), size, origin, collector, utc_now_iso(), partial
                )
                if out is not None:
                    self._close_member(out, entry)
        self._stop_if_full()
        return entry

    def _close_member(self, out: IO[bytes], entry: MemberEntry) -> None:
        """Close it (its data descriptor) whatever happens, then list it in the manifest."""
        try:
            out.close()
        finally:
            if entry.name not in SEALING_NAMES:
                self.members.append(entry)
                self.log.add(
                    "write-member",
                    entry.collector,
                    "partial" if entry.partial else "ok",
                    member=entry.name,
                    sha256=entry.sha256,
                    size=entry.size,
                    source=entry.source,
                )

    def _stop_if_full(self) -> None:
        """The disk filled and the reserve was freed for the seal: stop collecting now."""
        if self._sink.full is not None and not self._sealing:
            raise OutputFull(self._sink.full)

    def write_bytes(
        self, name: str, data: bytes, *, collector: str, origin: str | None = None
    ) -> MemberEntry:
        return self.write_stream(name, [data], collector=collector, origin=origin)

    def write_records(
        self, name: str, records: Sequence[Record], *, collector: str, reserved: bool = False
    ) -> MemberEntry:
        entry = self.write_stream(
            name, _record_lines(records), collector=collector, reserved=reserved
        )
        self.records_by_member[entry.name] = records
        return entry

    def copied_file(self, origin: str) -> FileRecord | None:
        return self._file_records.get(origin)

    def file_records(self) -> list[FileRecord]:
        """The records of every copied file so far (written as records/files.jsonl at close)."""
        return list(self._file_records.values())

    def copy_open_file(
        self,
        handle: IO[bytes],
        origin: str,
        member: str,
        *,
        collector: str,
        limit: int | None = None,
        cap: str | None = None,
        hash_limit: int | None = None,
        keep: int = 0,
    ) -> tuple[FileRecord, bytes]:
        """Copy an already opened host file; also return up to `keep` bytes for parsing.

        Parsing the very bytes that were hashed means the record and the copy
        can never disagree, even for /proc files that change between reads.

        A copy cut at `limit` (the cap named `cap`) is partial, and its record carries the
        hash of the whole original, never the prefix's: reading goes on past the cap, up to
        `hash_limit` bytes in all, to hash it. An original larger than that, or one whose
        read failed, is "not hashed" (sha256 null, with the reason); the member's own hash
        is in the manifest either way.
        """
        st = os.fstat(handle.fileno())
        copy = _TeeCopy(handle, origin, limit, keep, st.st_size if stat.S_ISREG(st.st_mode) else 0)
        large = st.st_size >= ZIP64_THRESHOLD or (limit is not None and limit >= ZIP64_THRESHOLD)
        entry: MemberEntry | None = None
        try:
            entry = self.write_stream(
                member,
                copy.chunks(),
                collector=collector,
                origin=origin,
                large=large,
                mtime=st.st_mtime,
            )
            if copy.failure is None and limit is not None and copy.read == limit:
                copy.read_past(max(hash_limit or 0, limit), cap or "limit")
        except BaseException as exc:
            if entry is None and self.members and self.members[-1].source == origin:
                entry = self.members[-1]
            if entry is not None:
                copy.failure = copy.failure or f"stopped while copied: {type(exc).__name__} {exc}"
                self._keep_file_record(entry, copy.record(entry, st, collector))
            raise
        record = self._keep_file_record(entry, copy.record(entry, st, collector))
        return record, bytes(copy.kept)

    def _keep_file_record(self, entry: MemberEntry, record: FileRecord) -> FileRecord:
        """A copy that is not the whole original makes its manifest entry partial too."""
        if record.partial and not entry.partial:
            entry.partial = True
            self.log.add(
                "copy",
                entry.collector,
                "partial",
                record.partial_reason,
                member=entry.name,
                cap=record.cap,
            )
        self._file_records[record.path] = record
        return record

    def close(self, *, complete: bool, reason: str | None = None) -> Seal:
        """Seal the bundle: file records, then the log, then the manifest, last of all."""
        self._sink.check()
        self._sealing = True
        with self._guard.shielded():
            self._write_file_records()
            self.log.add(
                "seal",
                "irkit",
                "ok" if complete else "partial",
                reason,
                members=len(self.members) + 1,
            )
            self.write_stream(LOG_NAME, self.log.jsonl(), collector="irkit", reserved=True)
            manifest_sha = self._write_manifest(complete, reason)
            self._zip.comment = (COMMENT_PREFIX + manifest_sha).encode()
            self._zip.close()
            self._sink.finish()
            self._sink.check()
            self._sink.release_reserve()
        return Seal(
            manifest_sha,
            self._sink.hexdigest(),
            len(self.members) + 1,
            complete,
            reason,
            self.custody.signed_by if self.custody.sign else None,
        )

    def _write_file_records(self) -> None:
        """The records of every copied file, one member, in the order they were copied."""
        if self._file_records:
            self.write_records(
                FILES_RECORDS_NAME,
                list(self._file_records.values()),
                collector="irkit",
                reserved=True,
            )

    def _write_manifest(self, complete: bool, reason: str | None) -> str:
        """The manifest (every member written so far, custody) and its signature when a key
        signs; its sha256, which the ZIP comment carries."""
        manifest = Manifest(
            tool_version=__version__,
            command_line=self.command_line,
            host=self.host,
            started=self.started,
            ended=utc_now_iso(),
            complete=complete,
            incomplete_reason=reason,
            members=list(self.members),
            custody=self.custody.manifest_entry(),
        )
        raw = manifest.to_json()
        self.write_stream(MANIFEST_NAME, [raw], collector="irkit", reserved=True)
        if self.custody.sign is not None:
            signature = self.custody.sign(raw)
            self.write_stream(SIGNATURE_NAME, [signature], collector="irkit", reserved=True)
        return hashlib.sha256(raw).hexdigest()


def host_file_member(path: str) -> str:
    """Where a copied host file lives in the bundle: `files/` + its path on the host."""
    return "files/" + fs_text(path).lstrip("/")
