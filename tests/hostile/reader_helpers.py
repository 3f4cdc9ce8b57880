"""Hostile bundles for the reader tests: a small real bundle, and zips crafted by hand as an
attacker would (members whose manifest size, header size or attributes lie, bombs).

The CLI is run in-process through typer's CliRunner for the fuzz tests (thousands of runs
would take minutes as subprocesses); it runs the same command code, and an exception escaping
a command is kept in `result.exception`, so a traceback cannot go unnoticed.
"""

import hashlib
import json
import struct
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from irkit.cli import app
from tests.reportbundles import host_files, scenario_records, write_bundle

RULES = b'rule hostile_reader_marker { strings: $a = "203.0.113.7" condition: $a }\n'


def real_bundle(folder: Path) -> Path:
    """A small bundle written by the real EvidenceWriter (records, copied files, log, iocs)."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_bundle(
        folder / "case.zip",
        scenario_records(),
        files=host_files(folder),
        iocs={"ip": ["203.0.113.7"]},
    )


def members_of(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


@dataclass
class Member:
    name: str
    data: bytes | None = None
    """The member's bytes; None for `zeros` bytes of 0 streamed in (a bomb)."""
    zeros: int = 0
    listed_size: int | None = None
    """The size the manifest claims (default: the true size)."""
    mode: int | None = None
    """Unix mode for the external attributes (a symlink, a FIFO...)."""


def _manifest(members: Iterable[Member], digests: Mapping[str, tuple[str, int]]) -> bytes:
    entries = [
        {
            "name": m.name,
            "sha256": digests[m.name][0],
            "size": digests[m.name][1] if m.listed_size is None else m.listed_size,
            "source": None,
            "collector": "test",
            "acquired": "2026-11-30T10:00:00Z",
            "partial": False,
        }
        for m in members
    ]
    manifest: dict[str, Any] = {
        "format": "irkit-bundle",
        "format_version": 1,
        "tool": {"name": "irkit", "version": "test"},
        "command_line": ["irkit", "test"],
        "host": {"hostname": "crafted"},
        "started": "2026-11-30T10:00:00Z",
        "ended": "2026-11-30T10:01:00Z",
        "complete": True,
        "incomplete_reason": None,
        "members": entries,
    }
    return json.dumps(manifest).encode()


def craft_bundle(path: Path, members: list[Member], *, manifest: bytes | None = None) -> Path:
    """A zip with these members and a manifest listing them (or `manifest` as given)."""
    digests: dict[str, tuple[str, int]] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for member in members:
            info = zipfile.ZipInfo(member.name, (2026, 11, 30, 10, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            if member.mode is not None:
                info.create_system = 3
                info.external_attr = member.mode << 16
            digests[member.name] = _write_member(archive, info, member)
        raw = manifest or _manifest(members, digests)
        archive.writestr("manifest.json", raw)
        archive.comment = f"irkit manifest sha256 {hashlib.sha256(raw).hexdigest()}".encode()
    return path


def _write_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, member: Member
) -> tuple[str, int]:
    sha = hashlib.sha256()
    if member.data is not None:
        archive.writestr(info, member.data)
        return hashlib.sha256(member.data).hexdigest(), len(member.data)
    chunk = bytes(1 << 20)
    with archive.open(info, "w", force_zip64=True) as sink:
        for _ in range(member.zeros // len(chunk)):
            sink.write(chunk)
            sha.update(chunk)
    return sha.hexdigest(), member.zeros


def lie_about_size(path: Path, name: str, size: int) -> None:
    """Rewrite the uncompressed size that the central directory gives `name` (zip64 extra
    field included): the header then lies about how much the member inflates to."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    start = data.rfind(b"PK\x01\x02", 0, len(data))
    while start >= 0:
        name_len = struct.unpack_from("<H", data, start + 28)[0]
        if bytes(data[start + 46 : start + 46 + name_len]) == name.encode():
            break
        start = data.rfind(b"PK\x01\x02", 0, start)
    assert start >= 0, name
    if struct.unpack_from("<I", data, start + 24)[0] == 0xFFFFFFFF:
        extra = data.find(struct.pack("<Q", info.file_size), start + 46)
        struct.pack_into("<Q", data, extra, size)
    else:
        struct.pack_into("<I", data, start + 24, size)
    path.write_bytes(bytes(data))


def central_directory(path: Path) -> range:
    """The byte offsets of the central directory (and end records) of a small zip."""
    data = path.read_bytes()
    return range(data.index(b"PK\x01\x02"), len(data))


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)


def no_traceback(result: Result) -> None:
    """The command ended with an exit code, not an exception escaping it."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"exception escaped the command: {result.exception!r}") from (
            result.exception
        )
