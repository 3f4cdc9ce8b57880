"""Issue 14, section 1: the single file runs where no Python is, and writes only its output.

dist/irkit (built by `make onefile`; IRKIT_ONEFILE names another) runs `triage`, `verify`
and `memory isf` in a chroot holding glibc and nothing else (tests/onefile/chroot.py), from a
read-only medium, in a private mount namespace. A listing of the whole chroot before and
after shows that nothing was written besides the outputs, /dev/shm (where the file unpacks)
is empty after each run, and the collection log says where it unpacked.

Every test runs once per build (tests/onefile/built.py): the file built here, and the aarch64
file (under qemu-user on another machine, its chroot's glibc from the arm64 Debian it was built
in). Building a file takes minutes of CPU (under emulation, an hour), so without it a test
skips, saying so, unless IRKIT_REQUIRE_ONEFILE=1 (IRKIT_REQUIRE_ONEFILE_AARCH64=1), which
turns the skip into a failure (CI sets it where it builds).
"""

import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from irkit.evidence.reader import BundleReader
from irkit.memory.layout import lime_header
from tests.hostile.writer_helpers import assert_sealed, collect_args, fixture_host, partial_of
from tests.onefile.built import BUILDS, Build, foreign, onefile, unavailable
from tests.onefile.chroot import (
    Chroot,
    ChrootUnavailable,
    build_chroot,
    changed,
    glibc_versions,
    install_libraries,
    snapshot,
)

pytestmark = pytest.mark.slow

# 3 too: a sandbox's own pid 1 may be out of root's reach (the installed irkit says the same).
RAN = (0, 1, 3)


@pytest.fixture(scope="module", params=sorted(BUILDS))
def build(request: pytest.FixtureRequest) -> Build:
    return BUILDS[request.param]


@pytest.fixture(scope="module")
def chroot(build: Build, tmp_path_factory: pytest.TempPathFactory) -> Chroot:
    binary = onefile(build)
    try:
        return build_chroot(tmp_path_factory.mktemp("onefile") / "root", binary, build.system)
    except ChrootUnavailable as exc:
        unavailable(str(exc), build.require)


@pytest.fixture(scope="module")
def sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """A process of this test's own (a copy of sleep), for the single file to collect."""
    exe = tmp_path_factory.mktemp("sentinel") / "irkit-onefile-sentinel"
    shutil.copy2("/bin/sleep", exe)
    proc = subprocess.Popen([str(exe), "600"])
    try:
        yield proc.pid, hashlib.sha256(exe.read_bytes()).hexdigest()
    finally:
        proc.kill()
        proc.wait()


def assert_collected(bundle: Path, sentinel: tuple[int, str]) -> None:
    """The bundle is sealed and holds the test's own process with its executable's hash."""
    pid, sha256 = sentinel
    with BundleReader(bundle) as reader:
        assert reader.manifest.members
        mine = [r for r in reader.records("process") if r.get("pid") == pid]
    assert [r["exe_sha256"] for r in mine] == [sha256]


def test_the_chroot_holds_no_python(chroot: Chroot) -> None:
    pythons = [p for p in chroot.root.rglob("*") if "python" in p.name.lower()]
    assert pythons == []


def test_the_chroot_has_the_glibc_of_the_system_asked_for(chroot: Chroot) -> None:
    """IRKIT_CHROOT_LIBS=DIR (an older Debian) puts that system's glibc in the chroot, not
    this machine's: then every test here shows the file running on that glibc. The aarch64
    build's chroot has the glibc of the arm64 system it was built in."""
    inside, origin = glibc_versions(chroot)
    print(f"glibc in the chroot: {inside}")
    assert inside == origin


def test_triage_verify_and_isf_write_nothing_but_their_outputs(
    chroot: Chroot, sentinel: tuple[int, str]
) -> None:
    before = snapshot(chroot.root)

    rc, stderr, shm = chroot.run("triage", "-p", "quick", "-o", "/out/case.zip", "--quiet")
    assert rc in RAN, stderr.decode(errors="replace")
    assert shm == [], "the unpack directory was left in /dev/shm"

    rc, stderr, shm = chroot.run("verify", "/out/case.zip")
    assert rc == 0, stderr.decode(errors="replace")
    assert shm == []

    isf = ("--btf", "/sys/kernel/btf/vmlinux", "--kallsyms", "/proc/kallsyms")
    if not Path("/sys/kernel/btf/vmlinux").is_file():
        pytest.skip("this kernel has no BTF (CONFIG_DEBUG_INFO_BTF): memory isf cannot run")
    rc, stderr, shm = chroot.run(
        "memory",
        "isf",
        *isf,
        "--banner",
        "/proc/version",
        "-o",
        "/out/kernel.json.xz",
        "--validate",
    )
    assert rc == 0, stderr.decode(errors="replace")
    assert shm == []

    written = changed(before, snapshot(chroot.root))
    assert written == {"out", "out/case.zip", "out/case.zip.sha256", "out/kernel.json.xz"}

    assert_collected(chroot.root / "out" / "case.zip", sentinel)
    with BundleReader(chroot.root / "out" / "case.zip") as reader:
        runtime = [e for e in reader.log_entries() if e.get("step") == "runtime"]
    assert len(runtime) == 1
    assert runtime[0]["detail"]["unpacked_into"].startswith("/dev/shm/_MEI")
    assert runtime[0]["detail"]["memory_backed"] is True


def test_triage_to_stdout_writes_nothing_on_the_host(
    chroot: Chroot, sentinel: tuple[int, str], tmp_path: Path
) -> None:
    """`ssh host 'sudo /mnt/ir/irkit triage -o -' > case.zip`: the host's disk is untouched."""
    before = snapshot(chroot.root)
    bundle = tmp_path / "case.zip"
    rc, stderr, shm = chroot.run("triage", "-p", "quick", "-o", "-", "--quiet", stdout=bundle)
    assert rc in RAN, stderr.decode(errors="replace")
    assert shm == []
    assert changed(before, snapshot(chroot.root)) == set()
    assert_collected(bundle, sentinel)


def test_memory_analyze_finds_the_kernel_banner_in_an_image(chroot: Chroot, tmp_path: Path) -> None:
    """volatility3 as frozen in the file: its automagic and banner scan import sqlite3 (an
    old-base build once left _sqlite3 out, and found no banner), and its plugins load from
    the unpacked sources. The image is a LiME file with one range holding a banner."""
    banner = b"Linux version 6.1.0-irkit-onefile (test@irkit) (gcc-12) #1 SMP PREEMPT_DYNAMIC\n\0"
    ram = bytearray(0x100000)
    ram[0x2340 : 0x2340 + len(banner)] = banner
    (chroot.root / "tmp" / "image.lime").write_bytes(lime_header(0x100000, 0x1FFFFF) + ram)
    analysis = tmp_path / "analysis.json"
    rc, stderr, shm = chroot.run("memory", "analyze", "/tmp/image.lime", "--json", stdout=analysis)
    assert rc in RAN, stderr.decode(errors="replace")
    assert shm == []
    result = json.loads(analysis.read_bytes())
    assert banner.rstrip(b"\n\0").decode() in result["banners"], result["errors"]


def test_a_host_without_a_tmpfs_at_dev_shm_is_a_warning_in_the_log(chroot: Chroot) -> None:
    """PyInstaller's bootloader then unpacks onto whatever /dev/shm is (creating it if need be):
    a write to the host's disk that irkit cannot prevent, so the log must say so."""
    rc, stderr, shm = chroot.run(
        "collect", "-c", "host", "-o", "/out/noshm.zip", "--quiet", tmpfs=False
    )
    assert rc in RAN, stderr.decode(errors="replace")
    assert shm == [], "the unpack directory was left on the disk"
    with BundleReader(chroot.root / "out" / "noshm.zip") as reader:
        runtime = [e for e in reader.log_entries() if e.get("step") == "runtime"]
    assert [(e["outcome"], e["detail"]["memory_backed"]) for e in runtime] == [("warning", False)]
    assert "NOT memory-backed" in runtime[0]["error"]


def test_a_sigkill_of_the_file_stops_the_collection_and_leaves_nothing_in_ram(
    build: Build, tmp_path: Path
) -> None:
    """The pid a responder kills is PyInstaller's bootloader; Python runs in its child. A
    SIGKILL must not leave that child collecting unseen, nor its unpack directory in /dev/shm:
    the child gets SIGTERM from the kernel, seals what it has, and removes the directory.
    --max-cpu 1 keeps the run going until the kill, whatever the machine's speed."""
    binary = onefile(build)
    env = None
    if foreign(binary):
        # Run on this machine, not in a chroot: qemu-user takes the loader and glibc from a
        # prefix that holds only those.
        prefix = tmp_path / "libraries"
        try:
            install_libraries(prefix, binary, build.system)
        except ChrootUnavailable as exc:
            unavailable(str(exc), build.require)
        env = {**os.environ, "QEMU_LD_PREFIX": str(prefix)}
    root, proc = fixture_host(tmp_path, blobs=2, blob_size=256 << 10)
    out = tmp_path / "case.zip"
    bootloader = subprocess.Popen(
        [str(binary), *collect_args(out, root, proc, "--max-cpu", "1")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        while not partial_of(out).exists():
            assert bootloader.poll() is None, bootloader.stderr.read() if bootloader.stderr else ""
            time.sleep(0.01)
        children = Path(f"/proc/{bootloader.pid}/task/{bootloader.pid}/children").read_text()
        (python,) = map(int, children.split())
        pidfd = os.pidfd_open(python)
        bootloader.kill()
        bootloader.wait()
        ready, _, _ = select.select([pidfd], [], [], 300)  # a deadline only against a hang
        os.close(pidfd)
        assert ready, "the child of the killed bootloader went on running"
    finally:
        bootloader.kill()
        bootloader.wait()
    stderr = bootloader.stderr.read().decode(errors="replace") if bootloader.stderr else ""
    assert bootloader.returncode == -signal.SIGKILL
    sealed = assert_sealed(out)
    assert not partial_of(out).exists()
    assert sealed["complete"] is False and "SIGTERM" in sealed["incomplete_reason"], stderr
    with BundleReader(out) as reader:
        (runtime,) = [e for e in reader.log_entries() if e.get("step") == "runtime"]
    unpacked = Path(runtime["detail"]["unpacked_into"])
    assert unpacked.parent == Path("/dev/shm")
    assert not unpacked.exists(), "the unpack directory was left in RAM"
