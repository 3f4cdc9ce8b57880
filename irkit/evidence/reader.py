"""Read a bundle back without extracting anything to disk."""

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from irkit.evidence.manifest import LOG_NAME, MANIFEST_NAME, Manifest
from irkit.evidence.names import unsafe_member_reason


class BundleError(Exception):
    """The file cannot be read as an irkit bundle; the message says why."""


class BundleReader:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.zip = zipfile.ZipFile(self.path)
        except FileNotFoundError as exc:
            raise BundleError(f"{self.path}: no such file") from exc
        except (zipfile.BadZipFile, OSError) as exc:
            raise BundleError(f"{self.path}: not a readable zip archive ({exc})") from exc
        self.unsafe_names = [
            (info.filename, reason)
            for info in self.zip.infolist()
            if (reason := unsafe_member_reason(info.filename)) is not None
        ]
        self._manifest: Manifest | None = None

    def __enter__(self) -> "BundleReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()

    @property
    def manifest(self) -> Manifest:
        if self._manifest is None:
            try:
                raw = self.zip.read(MANIFEST_NAME)
            except KeyError as exc:
                raise BundleError(f"{self.path}: no {MANIFEST_NAME} in the archive") from exc
            try:
                self._manifest = Manifest.from_json(raw)
            except (ValueError, KeyError, TypeError) as exc:
                raise BundleError(f"{self.path}: {MANIFEST_NAME} is unreadable: {exc}") from exc
        return self._manifest

    def names(self) -> list[str]:
        return self.zip.namelist()

    def open(self, name: str) -> IO[bytes]:
        return self.zip.open(name)

    def read(self, name: str) -> bytes:
        return self.zip.read(name)

    def records(self, kind: str | None = None) -> Iterator[dict[str, Any]]:
        """Every record in records/*.jsonl, optionally only those of one type."""
        for name in self.names():
            if not (name.startswith("records/") and name.endswith(".jsonl")):
                continue
            with self.open(name) as handle:
                for line in handle:
                    if not line.strip():
                        continue
                    record = json.loads(line)
                    if kind is None or record.get("type") == kind:
                        yield record

    def log_entries(self) -> list[dict[str, Any]]:
        if LOG_NAME not in self.names():
            return []
        return [json.loads(line) for line in self.read(LOG_NAME).splitlines() if line.strip()]
