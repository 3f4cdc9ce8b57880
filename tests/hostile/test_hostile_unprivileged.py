"""Issue 10 point 4: an unprivileged or partial run says so.

Acceptance: the same fixture host triaged as root and as `nobody` (real runs through
setpriv, real files with real modes) gives the same verdict, except that the nobody run
names what it could not read, seals the bundle incomplete and exits 3.
"""

import subprocess
from collections.abc import Callable
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from irkit.evidence.coverage import collecting_identity, coverage_reason, unseen
from irkit.evidence.log import CollectionLog
from tests.conftest import needs_unprivileged_python, run_irkit_as_nobody
from tests.hostile.fuzzing import fuzz_settings
from tests.hostile.items_helpers import (
    bundle_json,
    clean_root,
    json_report,
    miner_root,
    serious,
    triage_args,
)

RunIrkit = Callable[..., subprocess.CompletedProcess[bytes]]
NOBODY = 65534


def root_only(path: Path) -> None:
    path.chmod(0o600)


@needs_unprivileged_python
def test_nobody_names_the_root_only_cron_that_root_sees_a_miner_in(
    nobody_dir: Path, run_irkit: RunIrkit
) -> None:
    host = miner_root(nobody_dir / "host")
    root_only(host / "etc/cron.d/miner")

    as_root = run_irkit(*triage_args(host, nobody_dir / "root.zip"))
    as_nobody = run_irkit_as_nobody(*triage_args(host, nobody_dir / "nobody.zip"))

    assert as_root.returncode == 1, as_root.stderr.decode()
    assert serious(json_report(as_root)), "root reads the cron line and finds the miner"
    root_manifest = bundle_json(nobody_dir / "root.zip", "manifest.json")
    assert root_manifest["complete"] is True
    assert root_manifest["collected_by"]["privileged"] is True

    assert as_nobody.returncode == 3, as_nobody.stderr.decode()
    report = json_report(as_nobody)
    assert report["verdict"]["verdict"] == "CLEAN"
    assert report["verdict"]["not_readable"] == ["/etc/cron.d/miner"]
    assert "as far as could be seen" in report["verdict"]["reason"]
    assert "not readable: /etc/cron.d/miner" in as_nobody.stderr.decode()
    manifest = bundle_json(nobody_dir / "nobody.zip", "manifest.json")
    assert manifest["complete"] is False
    assert manifest["incomplete_reason"] == "reads denied: /etc/cron.d/miner"
    who = manifest["collected_by"]
    assert (who["uid"], who["euid"], who["privileged"]) == (NOBODY, NOBODY, False)
    assert who["cap_eff"] == "0000000000000000"

    review = run_irkit("review", nobody_dir / "nobody.zip")
    assert "not readable: /etc/cron.d/miner" in review.stdout.decode() + review.stderr.decode()


@needs_unprivileged_python
def test_a_clean_host_is_clean_for_both_and_nobody_says_what_it_could_not_read(
    nobody_dir: Path, run_irkit: RunIrkit
) -> None:
    host = clean_root(nobody_dir / "host")
    (host / "etc/sudoers").write_text("root ALL=(ALL:ALL) ALL\n")
    root_only(host / "etc/sudoers")

    as_root = run_irkit(*triage_args(host, nobody_dir / "root.zip"))
    as_nobody = run_irkit_as_nobody(*triage_args(host, nobody_dir / "nobody.zip"))

    assert as_root.returncode == 0, as_root.stderr.decode()
    assert as_nobody.returncode == 3, as_nobody.stderr.decode()
    seen_by_root, seen_by_nobody = json_report(as_root), json_report(as_nobody)
    assert seen_by_root["verdict"]["verdict"] == seen_by_nobody["verdict"]["verdict"] == "CLEAN"
    assert seen_by_root["verdict"]["not_readable"] == []
    assert "as far as could be seen" not in seen_by_root["verdict"]["reason"]
    assert seen_by_nobody["verdict"]["not_readable"] == ["/etc/sudoers"]
    assert "CLEAN" in as_nobody.stderr.decode()
    assert "not readable: /etc/sudoers" in as_nobody.stderr.decode()


def test_denials_from_every_reader_are_counted_from_the_log() -> None:
    """The log lines as the readers write them: ProcFS per field with pids, a copy, a
    listing, a hunt target; FileNotFoundError is absence, not blindness."""
    log = CollectionLog()
    log.add("read-proc", "processes", "partial", "PermissionError: /proc/PID/exe denied for 2 "
            "process(es)", field="exe", pids=[1, 7])  # fmt: skip
    log.add("read-proc", "sockets", "partial", "PermissionError: x", field="exe", pids=[7, 9])
    log.add("copy", "accounts", "error", "PermissionError: Permission denied", path="/etc/sudoers")
    log.add("list", "persistence", "error", "PermissionError: Permission denied", path="/root")
    log.add("yara-scan", "hunt:m", "error", "pid 9: Permission denied", target="pid 9")
    log.add("copy", "host", "skipped", "FileNotFoundError: No such file", path="/etc/hostname")
    items = unseen(log.entries)
    assert items == ["/proc/PID/exe of 3 process(es)", "/etc/sudoers", "/root", "pid 9"]
    assert coverage_reason(log.entries) == "reads denied: " + ", ".join(items)
    for n in range(8):
        log.add("copy", "persistence", "error", "PermissionError: x", path=f"/etc/cron.d/{n}")
    assert unseen(log.entries)[-1] == "6 more path(s)"
    assert coverage_reason(CollectionLog().entries) is None


def test_the_collecting_identity_reads_capeff(tmp_path: Path) -> None:
    status = tmp_path / "status"
    status.write_bytes(b"Name:\tx\nCapEff:\t0000000000080006\n")
    assert collecting_identity(str(status))["privileged"] is True
    status.write_bytes(b"CapEff:\t0000000000000002\n")
    identity = collecting_identity(str(status))
    assert (identity["cap_eff"], identity["privileged"]) == ("0000000000000002", False)
    status.write_bytes(b"CapEff:\tzz\n")
    assert collecting_identity(str(status))["privileged"] is (identity["euid"] == 0)


def test_a_hunt_that_died_makes_the_bundle_incomplete() -> None:
    """The persistence hunt died on one name and the bundle still said complete."""
    log = CollectionLog()
    log.add("hunt", "hunt:executables", "ok", None, hunt="executables", targets_scanned=3)
    log.add("hunt", "hunt:persistence-targets", "error", "UnicodeEncodeError: x",
            hunt="persistence-targets")  # fmt: skip
    assert coverage_reason(log.entries) == "hunt(s) failed: persistence-targets"
    log.add("copy", "accounts", "error", "PermissionError: Permission denied", path="/etc/sudoers")
    assert coverage_reason(log.entries) == (
        "reads denied: /etc/sudoers; hunt(s) failed: persistence-targets"
    )


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@fuzz_settings()
@given(
    entries=st.lists(
        JSONISH
        | st.fixed_dictionaries(
            {"step": st.sampled_from(["hunt", "copy", "read-proc"]), "outcome": JSONISH},
            optional={
                "error": st.sampled_from(["PermissionError: x", "pid 1: Permission denied"])
                | JSONISH,
                "detail": JSONISH
                | st.fixed_dictionaries({"field": JSONISH, "pids": JSONISH, "path": JSONISH}),
            },
        ),
        max_size=8,
    )
)
def test_a_hostile_bundle_log_never_breaks_the_verdict_line(entries: list[object]) -> None:
    """review reads collection.log back from a bundle: it may hold anything."""
    items = unseen(entries)  # type: ignore[arg-type]
    assert all(isinstance(item, str) for item in items)
    reason = coverage_reason(entries)  # type: ignore[arg-type]
    assert reason is None or isinstance(reason, str)
