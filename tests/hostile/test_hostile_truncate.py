"""Issue 10, point 1: a copy cut by a size cap is partial, names the cap, and never carries a
hash that is not the whole original's (records, process records, IOCs, manifest).

Real processes run a real 3 MiB synthetic executable; small caps come from the playbook's
`limits:` section, so the attack (an executable larger than the cap) fits on a CI disk.
"""

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irkit.collection import collect_to
from irkit.collectors.registry import select_collectors
from irkit.evidence.writer import EvidenceWriter
from irkit.interrupts import InterruptGuard
from irkit.limits import Limits
from tests.hostile.fuzzing import fuzz_settings
from tests.hostile.truncate_helpers import (
    MARKER_RULE,
    Bundle,
    build_padded_exe,
    running,
    sha256_file,
    write_playbook,
)

MIB = 1 << 20
FAST_PROCESSES = "  processes:\n    cpu_interval: 0.1\n    probe_hidden: false\n"


@pytest.fixture(scope="module")
def padded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_padded_exe(tmp_path_factory.mktemp("padded"))


@pytest.fixture
def workdir() -> Iterator[Path]:
    """Under /tmp, so the executables run from a world-writable directory, as droppers do."""
    with tempfile.TemporaryDirectory(prefix="irkit-truncate-") as path:
        yield Path(path)


def _copy_exe(padded: Path, workdir: Path, name: str) -> tuple[Path, str, int]:
    """A copy with its own hash (its name appended: an ELF runs with trailing bytes), so the
    hunt, which scans each distinct executable once, scans both copies."""
    target = workdir / name
    data = padded.read_bytes() + name.encode()
    target.write_bytes(data)
    target.chmod(0o755)
    return target, hashlib.sha256(data).hexdigest(), len(data)


def _triage(run_irkit, workdir: Path, limits: str) -> Bundle:  # type: ignore[no-untyped-def]
    (workdir / "marker.yar").write_text(MARKER_RULE)
    playbook = write_playbook(
        workdir / "cut.yaml",
        collectors=FAST_PROCESSES,
        hunts="  - name: exes\n    targets: process-exes\n    rules: marker.yar\n",
        limits=limits,
    )
    out = workdir / "b.zip"
    done = run_irkit("triage", "-p", playbook, "-o", out, "-q")
    assert done.returncode in (1, 3), done.stderr.decode()
    return Bundle(out)


def test_cut_copies_are_partial_and_keep_the_whole_originals_hash(
    run_irkit, padded: Path, workdir: Path
) -> None:  # type: ignore[no-untyped-def]
    deleted, deleted_sha, size = _copy_exe(padded, workdir, "deleted-miner")
    flagged, flagged_sha, _ = _copy_exe(padded, workdir, "flagged-miner")
    assert sha256_file(flagged) == flagged_sha and size > 3 * MIB
    with running(deleted, delete=True) as gone, running(flagged) as kept:
        bundle = _triage(run_irkit, workdir, f"  executable_bytes: {MIB}\n")
    for pid, original in ((gone.pid, deleted_sha), (kept.pid, flagged_sha)):
        origin = f"/proc/{pid}/exe"
        record = bundle.one("file", path=origin)
        assert record["partial"] is True
        assert record["cap"] == "executable_bytes"
        assert "executable_bytes" in record["partial_reason"]
        assert record["size"] == MIB and record["original_size"] == size
        assert record["sha256"] == original and record["not_hashed"] is None
        entry = bundle.member_entry(record["member"])
        assert entry["partial"] is True and entry["size"] == MIB
        assert entry["sha256"] == hashlib.sha256(bundle.read(record["member"])).hexdigest()
        assert entry["sha256"] != original
        process = bundle.one("process", pid=pid)
        assert process["exe_sha256"] == original
    assert bundle.one("process", pid=gone.pid)["exe_member"] == f"files/proc/{gone.pid}/exe"
    hashes = {(i.get("detail") or {}).get("sha256") for i in bundle.iocs if i["ioc_type"] == "file"}
    assert {deleted_sha, flagged_sha} <= hashes
    prefix = hashlib.sha256(padded.read_bytes()[:MIB]).hexdigest()
    assert prefix not in hashes
    cut = {e["detail"].get("member") for e in bundle.log if e["step"] == "copy"}
    assert {f"files/proc/{gone.pid}/exe", f"files/proc/{kept.pid}/exe"} <= cut


def test_an_original_larger_than_hash_bytes_is_not_hashed(
    run_irkit, padded: Path, workdir: Path
) -> None:  # type: ignore[no-untyped-def]
    deleted, _, _ = _copy_exe(padded, workdir, "deleted-miner")
    flagged, _, _ = _copy_exe(padded, workdir, "flagged-miner")
    with running(deleted, delete=True) as gone, running(flagged) as kept:
        bundle = _triage(
            run_irkit, workdir, f"  executable_bytes: {MIB}\n  hash_bytes: {2 * MIB}\n"
        )
    for pid in (gone.pid, kept.pid):
        assert bundle.one("process", pid=pid)["exe_sha256"] is None
    record = bundle.one("file", path=f"/proc/{gone.pid}/exe")
    assert record["partial"] is True and record["cap"] == "executable_bytes"
    assert record["sha256"] is None and "hash_bytes" in record["not_hashed"]
    assert bundle.member_entry(record["member"])["partial"] is True
    # Only this test's two processes: other programs on a shared machine may be flagged too.
    ours = {f"executable of pid {gone.pid}", f"executable of pid {kept.pid}"}
    hashed = [i for i in bundle.iocs if (i.get("detail") or {}).get("sha256")]
    assert not [i for i in hashed if i.get("context") in ours or "miner" in str(i.get("value"))]


def _copy(data: bytes, limit: int | None, hash_limit: int | None) -> tuple[dict, bytes, list]:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        source.write_bytes(data)
        out = Path(tmp) / "b.zip"
        with out.open("wb") as sink, source.open("rb") as handle:
            writer = EvidenceWriter(sink, command_line=["test"])
            record, _ = writer.copy_open_file(
                handle,
                "/x",
                "files/x",
                collector="test",
                limit=limit,
                cap="copy_bytes",
                hash_limit=hash_limit,
            )
            writer.close(complete=True)
        bundle = Bundle(out)
        return record.to_dict(), bundle.read("files/x"), bundle.manifest["members"]


@fuzz_settings(200)
@given(
    size=st.integers(0, 3000),
    limit=st.integers(0, 3000),
    hash_limit=st.integers(0, 4000),
    seed=st.binary(min_size=1, max_size=8),
)
def test_any_cut_is_partial_and_any_hash_is_the_whole_files(
    size: int, limit: int, hash_limit: int, seed: bytes
) -> None:
    data = (seed * (size // len(seed) + 1))[:size]
    record, copied, members = _copy(data, limit, hash_limit)
    cut = size > limit
    assert copied == data[:limit]
    assert record["partial"] is cut
    assert record["cap"] == ("copy_bytes" if cut else None)
    entry = next(m for m in members if m["name"] == "files/x")
    assert entry["partial"] is cut
    assert entry["sha256"] == hashlib.sha256(data[:limit]).hexdigest()
    if size <= max(limit, hash_limit):
        assert record["sha256"] == hashlib.sha256(data).hexdigest()
        assert record["original_size"] == size and record["not_hashed"] is None
    else:
        assert record["sha256"] is None and "hash_bytes" in record["not_hashed"]


def test_a_read_error_is_a_partial_copy_without_a_hash(tmp_path: Path) -> None:
    """/proc/self/mem is a regular file whose read at offset 0 fails (EIO): a real read error."""
    out = tmp_path / "b.zip"
    with out.open("wb") as sink, open(f"/proc/{os.getpid()}/mem", "rb") as handle:
        writer = EvidenceWriter(sink, command_line=["test"])
        record, _ = writer.copy_open_file(handle, "/proc/self/mem", "files/mem", collector="t")
        writer.close(complete=True)
    assert record.partial and record.sha256 is None
    assert record.partial_reason is not None and "read error" in record.partial_reason
    assert record.not_hashed is not None
    assert Bundle(out).member_entry("files/mem")["partial"] is True


def test_a_sparse_terabyte_crontab_is_cut_and_not_hashed(tmp_path: Path) -> None:
    """Point 9's 1 TiB sparse crontab: the copy stops at copy_bytes, the hash at hash_bytes."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    with (root / "etc" / "crontab").open("wb") as handle:
        handle.write(b"* * * * * root /tmp/.x/run\n")
        handle.truncate(1 << 40)
    out = tmp_path / "b.zip"
    guard = InterruptGuard()
    with out.open("wb") as sink:
        writer = EvidenceWriter(sink, command_line=["test"], guard=guard)
        limits = Limits(copy_bytes=MIB, hash_bytes=2 * MIB)
        collect_to(
            writer, guard, select_collectors(["persistence"]), root=root, proc=root, limits=limits
        )
    bundle = Bundle(out)
    record = bundle.one("file", path="/etc/crontab")
    assert record["partial"] is True and record["cap"] == "copy_bytes"
    assert record["size"] == MIB and record["original_size"] == 1 << 40
    assert record["sha256"] is None and "hash_bytes" in record["not_hashed"]
    assert bundle.member_entry("files/etc/crontab")["partial"] is True
    entries = [r for r in bundle.of_type("persistence") if r.get("source") == "/etc/crontab"]
    assert entries and entries[0]["sha256"] is None
