"""Issue 10, points 2, 8 and 12: the output is never torn, never written through a link, never
collected into itself, and irkit's own failures have their own exit codes.

Every test runs the real CLI on a fixture root, except where noted (an injected internal error:
a real one is a bug we do not have; signals sent by the process to itself at a chosen point).
"""

import errno
import os
import resource
import signal
import subprocess
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from irkit import cli
from irkit.collection import collect_to
from irkit.collectors.base import Context
from irkit.collectors.registry import select_collectors
from irkit.commands.bundleoptions import BundleOptions
from irkit.commands.collect import start_bundle
from irkit.evidence.records import Finding
from irkit.evidence.writer import EvidenceWriter
from irkit.interrupts import CollectionInterrupted, InterruptGuard
from irkit.memory.isf import write_isf
from irkit.outfile import NotRegularOutput, create_output
from irkit.review.rescan import write_review_lines
from irkit.timeutil import utc_now_iso
from tests.conftest import irkit_command, irkit_env
from tests.hostile.writer_helpers import (
    assert_sealed,
    clear_bundle,
    collect_args,
    encryption,
    fixture_host,
    log_steps,
    manifest,
    partial_of,
)

Run = Callable[..., subprocess.CompletedProcess[bytes]]
VICTIM = b"root-owned content that must survive\n"


@pytest.fixture
def host(tmp_path: Path) -> tuple[Path, Path]:
    return fixture_host(tmp_path / "host")


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim"
    path.write_bytes(VICTIM)
    return path


def no_traceback(proc: subprocess.CompletedProcess[bytes]) -> str:
    stderr = proc.stderr.decode(errors="replace")
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    return stderr


# --- point 8: nothing outside the output is written ------------------------------------------


def test_planted_sidecar_symlink_is_not_followed(
    tmp_path: Path, host: tuple[Path, Path], victim: Path, run_irkit: Run
) -> None:
    out = tmp_path / "case.zip"
    out.with_name("case.zip.sha256").symlink_to(victim)
    proc = run_irkit(*collect_args(out, *host))
    assert proc.returncode == 2
    assert "not a regular file" in no_traceback(proc)
    assert victim.read_bytes() == VICTIM
    assert not out.exists() and not partial_of(out).exists()


@pytest.mark.parametrize("force", [False, True])
def test_symlink_at_the_output_is_refused_even_with_force(
    tmp_path: Path, host: tuple[Path, Path], victim: Path, run_irkit: Run, force: bool
) -> None:
    out = tmp_path / "case.zip"
    out.symlink_to(victim)
    proc = run_irkit(*collect_args(out, *host, *(["--force"] if force else [])))
    assert proc.returncode == 2
    no_traceback(proc)
    assert out.is_symlink() and victim.read_bytes() == VICTIM
    assert not partial_of(out).exists()


def test_symlink_at_the_partial_name_is_refused(
    tmp_path: Path, host: tuple[Path, Path], victim: Path, run_irkit: Run
) -> None:
    out = tmp_path / "case.zip"
    partial_of(out).symlink_to(victim)
    for extra in ([], ["--force"]):
        proc = run_irkit(*collect_args(out, *host, *extra))
        assert proc.returncode == 2, proc.stderr
        assert victim.read_bytes() == VICTIM


def test_force_replaces_a_regular_file_and_its_sidecar(
    tmp_path: Path, host: tuple[Path, Path], run_irkit: Run
) -> None:
    out = tmp_path / "case.zip"
    out.write_bytes(b"old")
    out.with_name("case.zip.sha256").write_text("old\n")
    assert run_irkit(*collect_args(out, *host)).returncode == 2
    proc = run_irkit(*collect_args(out, *host, "--force"))
    assert proc.returncode == 0, proc.stderr
    assert assert_sealed(out)["complete"] is True
    assert not partial_of(out).exists()


def test_a_leftover_partial_is_named_and_replaced_only_with_force(
    tmp_path: Path, host: tuple[Path, Path], run_irkit: Run
) -> None:
    out = tmp_path / "case.zip"
    partial_of(out).write_bytes(b"torn")
    proc = run_irkit(*collect_args(out, *host))
    assert proc.returncode == 2 and "interrupted run" in no_traceback(proc)
    assert run_irkit(*collect_args(out, *host, "--force")).returncode == 0
    assert_sealed(out)
    assert not partial_of(out).exists()


def test_other_outputs_never_follow_a_link(
    tmp_path: Path, host: tuple[Path, Path], victim: Path, run_irkit: Run
) -> None:
    bundle = tmp_path / "case.zip"
    assert run_irkit(*collect_args(bundle, *host)).returncode == 0
    link = tmp_path / "timeline.jsonl"
    link.symlink_to(victim)
    for extra in ([], ["--force"]):
        proc = run_irkit("timeline", bundle, "-o", link, *extra)
        assert proc.returncode == 2, proc.stderr
        no_traceback(proc)
    report = tmp_path / "report.html"
    report.symlink_to(victim)
    proc = run_irkit("review", bundle, "--html", report, "--overwrite")
    assert proc.returncode == 2, proc.stderr
    assert victim.read_bytes() == VICTIM


def test_review_files_of_the_same_second_never_collide_nor_follow_a_link(
    tmp_path: Path, victim: Path
) -> None:
    """Two rescans in one second crashed on the second file's name; a link planted at the
    first name is stepped over, never written through."""
    bundle = tmp_path / "case.zip"
    stamp = utc_now_iso().replace(":", "").replace("-", "").split(".")[0]
    (tmp_path / f"case.zip.rescan-{stamp}Z.jsonl").symlink_to(victim)
    head = Finding("marker", "low", "yara")
    paths = [write_review_lines(bundle, "rescan", [head]) for _ in range(3)]
    assert len(set(paths)) == 3 and all(not p.is_symlink() for p in paths), paths
    assert victim.read_bytes() == VICTIM


def test_an_isf_is_never_written_through_a_link(tmp_path: Path, victim: Path) -> None:
    link = tmp_path / "kernel.json.xz"
    link.symlink_to(victim)
    for force in (False, True):
        with pytest.raises(OSError):
            write_isf({"metadata": {}}, link, force=force)
    assert victim.read_bytes() == VICTIM


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("planted", ["link", "dangling", "directory", "fifo"])
def test_create_output_never_opens_what_is_planted(
    tmp_path: Path, victim: Path, force: bool, planted: str
) -> None:
    """The one creation helper behind every output: a planted name is refused, never opened."""
    path = tmp_path / "out"
    if planted == "link":
        path.symlink_to(victim)
    elif planted == "dangling":
        path.symlink_to(tmp_path / "nowhere")
    elif planted == "directory":
        path.mkdir()
    else:
        os.mkfifo(path)
    expected: type[OSError] = NotRegularOutput if force else FileExistsError
    with pytest.raises(expected):
        create_output(path, force=force)
    assert victim.read_bytes() == VICTIM
    assert not (tmp_path / "nowhere").exists()


def test_the_bundle_inode_is_excluded_from_collection(tmp_path: Path) -> None:
    """OUT.partial's inode is known to the writer from the start and survives the rename."""
    root, _ = fixture_host(tmp_path / "host")
    out = root / "etc" / "cron.d" / "case.zip"
    guard = InterruptGuard()
    bundle, writer = start_bundle(str(out), BundleOptions(root=root, quiet=True), guard)
    st = partial_of(out).stat()
    assert (st.st_dev, st.st_ino) in writer.excluded_inodes
    seal = writer.close(complete=True)
    bundle.close(seal)
    st = out.stat()
    assert (st.st_dev, st.st_ino) in writer.excluded_inodes


def test_sidecar_link_planted_during_the_run_is_not_followed(tmp_path: Path, victim: Path) -> None:
    """Planted after the up-front checks, while the bundle is written: refused at creation,
    the sealed bundle is still published and the failure is reported (exit 5 in the CLI)."""
    root, _ = fixture_host(tmp_path / "host")
    out = tmp_path / "case.zip"
    options = BundleOptions(root=root, overwrite=True, quiet=True)
    bundle, writer = start_bundle(str(out), options, InterruptGuard())
    out.with_name("case.zip.sha256").symlink_to(victim)
    assert bundle.close(writer.close(complete=True)) is None
    assert bundle.sidecar_error is not None and "case.zip.sha256" in bundle.sidecar_error
    assert victim.read_bytes() == VICTIM
    out.with_name("case.zip.sha256").unlink()  # verify would compare against the link's target
    assert_sealed(out)


def test_a_bundle_written_inside_a_collected_directory_does_not_contain_itself(
    tmp_path: Path, run_irkit: Run
) -> None:
    root, proc = fixture_host(tmp_path / "host")
    out = root / "etc" / "cron.d" / "case.zip"
    result = run_irkit(*collect_args(out, root, proc))
    assert result.returncode in (0, 3), result.stderr
    names = [m["name"] for m in assert_sealed(out)["members"]]
    assert not [n for n in names if "case.zip" in n], names


# --- point 2: no torn bundle under the final name ---------------------------------------------


@pytest.mark.parametrize("encrypted", [False, True])
def test_broken_pipe_is_exit_6_with_one_line(tmp_path: Path, encrypted: bool) -> None:
    """`irkit collect -o - | head -c 100`: more than a pipe buffer, then the reader goes
    (encrypted: the age thread meets EPIPE and the writer's thread reports it)."""
    root, proc = fixture_host(tmp_path / "host", blobs=2, blob_size=1 << 20)
    child = subprocess.Popen(
        irkit_command(*collect_args("-", root, proc, *encryption(encrypted))),
        env=irkit_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    assert len(child.stdout.read(100)) == 100
    child.stdout.close()
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=120) == 6, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert stderr.strip().count("\n") == 0, stderr
    assert "output pipe was closed" in stderr


def test_a_closed_stderr_pipe_is_exit_6_not_a_failed_flush(tmp_path: Path) -> None:
    """`irkit verify case.zip 2>&1 | head -1`: the closed pipe is stderr. Python's flush at
    exit failed on it and the single file exited 120."""
    root, proc = fixture_host(tmp_path / "host")
    out = tmp_path / "case.zip"
    assert subprocess.run(irkit_command(*collect_args(out, root, proc)), env=irkit_env(),
                          capture_output=True).returncode == 0  # fmt: skip
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before irkit writes a line
    try:
        child = subprocess.run(
            irkit_command("verify", out), env=irkit_env(), stdout=subprocess.DEVNULL,
            stderr=write_end, timeout=120,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert child.returncode == 6


@pytest.mark.parametrize("encrypted", [False, True])
def test_full_disk_stops_and_seals_what_fits(
    tmp_path: Path, small_disk: Path, run_irkit: Run, encrypted: bool
) -> None:
    """Encrypted, the disk fills in the age thread: the reserve is freed there, and the
    writer stops and seals as in clear."""
    root, proc = fixture_host(tmp_path / "host", blobs=5, blob_size=4 << 20)
    out = small_disk / "case.zip"
    result = run_irkit(*collect_args(out, root, proc, *encryption(encrypted)))
    stderr = no_traceback(result)
    assert result.returncode == 5, stderr
    assert "output full" in stderr and "ENOSPC" in stderr
    sealed = assert_sealed(out, encrypted)
    assert sealed["complete"] is False
    assert "output full" in sealed["incomplete_reason"]
    assert "output-full" in log_steps(clear_bundle(out, encrypted, tmp_path))
    assert not partial_of(out).exists()


def test_output_that_cannot_be_sealed_stays_partial(
    tmp_path: Path, host: tuple[Path, Path]
) -> None:
    """EFBIG from a file-size limit (RLIMIT_FSIZE on the child): no reserve helps, so the
    bundle cannot be sealed; it stays as OUT.partial and the message says so."""
    root, proc = fixture_host(tmp_path / "big", blobs=2, blob_size=1 << 20)
    out = tmp_path / "case.zip"

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (512 << 10, 512 << 10))

    result = subprocess.run(
        irkit_command(*collect_args(out, root, proc)),
        env=irkit_env(),
        capture_output=True,
        preexec_fn=limit_file_size,
        check=False,
    )
    stderr = no_traceback(result)
    assert result.returncode == 5, stderr
    assert "not sealed" in stderr and str(partial_of(out)) in stderr
    assert errno.errorcode[errno.EFBIG] in stderr
    assert partial_of(out).exists() and not out.exists()


def _collect_in_process(tmp_path: Path, then: Callable[[Context], None] | None = None) -> Path:
    root, proc = fixture_host(tmp_path / "host")
    out = tmp_path / "case.zip"
    guard = InterruptGuard()
    with out.open("wb") as sink:
        writer = EvidenceWriter(sink, command_line=["test"], guard=guard)
        collect_to(
            writer, guard, select_collectors(["persistence", "host"]), root=root, proc=proc,
            then=then,
        )  # fmt: skip
    return out


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_report_generation_still_seals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    """A real signal, sent by the process to itself as the report starts (the only way to hit
    that point every time): before the fix it escaped, leaving no manifest and no log."""
    import irkit.collection

    original = irkit.collection.write_report_member

    def report_under_signal(writer: EvidenceWriter, records: object) -> None:
        os.kill(os.getpid(), signum)
        original(writer, records)  # type: ignore[arg-type]

    monkeypatch.setattr(irkit.collection, "write_report_member", report_under_signal)
    out = _collect_in_process(tmp_path)
    sealed = assert_sealed(out)
    assert sealed["complete"] is False
    assert signal.Signals(signum).name in sealed["incomplete_reason"]


def test_signal_during_analysis_still_seals(tmp_path: Path) -> None:
    def analysis(ctx: Context) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)  # interrupted by the signal, never waited out

    sealed = assert_sealed(_collect_in_process(tmp_path, analysis))
    assert sealed["complete"] is False and "SIGTERM" in sealed["incomplete_reason"]


def test_a_second_signal_cannot_escape_the_seal(tmp_path: Path) -> None:
    """The guard raises once; a SIGTERM right after a SIGINT is recorded, not raised."""

    def analysis(ctx: Context) -> None:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(30)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.01)

    sealed = assert_sealed(_collect_in_process(tmp_path, analysis))
    assert "SIGINT" in sealed["incomplete_reason"]


def test_a_signal_before_the_collection_starts_is_held_then_seals(tmp_path: Path) -> None:
    guard = InterruptGuard()
    root, proc = fixture_host(tmp_path / "host")
    out = tmp_path / "case.zip"
    with guard.installed(), out.open("wb") as sink:
        os.kill(os.getpid(), signal.SIGINT)  # held: the guard is not armed yet
        writer = EvidenceWriter(sink, command_line=["test"], guard=guard)
        result = collect_to(writer, guard, select_collectors(["host"]), root=root, proc=proc)
    assert result.interrupted_by == "SIGINT"
    assert assert_sealed(out)["complete"] is False
    with zipfile.ZipFile(out) as zf:
        assert not [n for n in zf.namelist() if n.startswith("records/host")]


def test_a_signal_while_a_member_opens_still_lets_it_seal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the signal test: a signal held while zipfile opened a member was raised before
    the member could be closed, and the seal then failed (exit 4, OUT.partial left). The signal
    is real; only its moment is chosen, by wrapping the archive's open."""
    out = tmp_path / "case.zip"
    guard = InterruptGuard()
    with guard.installed(), out.open("wb") as sink:
        writer = EvidenceWriter(sink, command_line=["test"], guard=guard)
        guard.arm()
        archive = writer._zip
        original = archive.open

        def open_under_signal(*args: object, **kwargs: object) -> object:
            os.kill(os.getpid(), signal.SIGINT)
            return original(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(archive, "open", open_under_signal)
        with pytest.raises(CollectionInterrupted):
            writer.write_bytes("first", b"data", collector="t")
        monkeypatch.undo()
        writer.close(complete=False, reason="interrupted")
    members = {m["name"]: m for m in assert_sealed(out)["members"]}
    assert members["first"]["partial"] is True


def test_guard_raises_once(tmp_path: Path) -> None:
    guard = InterruptGuard()
    with guard.installed():
        guard.arm()
        with pytest.raises(CollectionInterrupted):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(30)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.01)
    assert guard.received == signal.SIGTERM


# --- point 12: irkit's own failures -----------------------------------------------------------


def test_internal_error_is_one_line_and_exit_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Injected in-process: a real uncaught error would be a bug we do not know of."""
    import irkit.review.bundles

    def broken(*args: object) -> object:
        raise RuntimeError("injected failure")

    monkeypatch.setattr(irkit.review.bundles, "verify_bundle", broken)
    monkeypatch.delenv("IRKIT_DEBUG", raising=False)
    bundle = tmp_path / "any.zip"
    bundle.write_bytes(b"PK")
    assert cli.run(["verify", str(bundle)]) == 4
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    assert "internal error: RuntimeError: injected failure; please report" in stderr
    assert "IRKIT_DEBUG=1" in stderr
    monkeypatch.setenv("IRKIT_DEBUG", "1")
    assert cli.run(["verify", str(bundle)]) == 4
    assert "Traceback" in capsys.readouterr().err


def test_usage_errors_stay_2(run_irkit: Run) -> None:
    proc = run_irkit("collect", "--no-such-option")
    assert proc.returncode == 2
    no_traceback(proc)


def test_manifest_of_a_finished_collect_is_complete(
    tmp_path: Path, host: tuple[Path, Path], run_irkit: Run
) -> None:
    out = tmp_path / "case.zip"
    proc = run_irkit(*collect_args(out, *host))
    assert proc.returncode == 0, proc.stderr
    assert assert_sealed(out)["complete"] is True
    assert manifest(out)["incomplete_reason"] is None
    assert not partial_of(out).exists()
