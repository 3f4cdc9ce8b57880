"""The processes collector against real processes, and against a fixture procfs."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from collecting import collect_bundle, exe_link, log_entries, member, records, stop, wait_for
from hostfixtures import write_tree

from irkit.collectors.base import Context
from irkit.collectors.processes import parse_stat, probe_hidden_pids, probe_order
from irkit.collectors.procfs import ProcFS
from irkit.evidence.writer import EvidenceWriter
from irkit.limits import Limits
from irkit.lossless import encode_host
from irkit.timeutil import utc_iso
from tests.hostile.confine_helpers import host_context, sparse

SLEEP = shutil.which("sleep") or "/bin/sleep"

RENAME_TO_KWORKER = """
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(15, b"kworker/0:2", 0, 0, 0) != 0:  # PR_SET_NAME
    sys.exit("prctl failed")
print("ready", flush=True)
time.sleep(120)
"""


def by_pid(bundle: Path, pid: int) -> dict:
    found = [r for r in records(bundle, "process") if r["pid"] == pid]
    assert found, f"no record for pid {pid}"
    return found[0]


def test_deleted_exe_in_hidden_dir_is_flagged_and_recovered(tmp_path: Path) -> None:
    hidden = tmp_path / ".cache-x"
    hidden.mkdir()
    binary = hidden / "sleep"
    shutil.copy(SLEEP, binary)
    original = hashlib.sha256(binary.read_bytes()).hexdigest()
    child = subprocess.Popen([binary, "120"])
    try:
        wait_for(lambda: exe_link(child.pid) == str(binary), "the copied sleep to start")
        binary.unlink()
        bundle = collect_bundle(tmp_path / "b.zip", "processes")
    finally:
        stop(child)
    record = by_pid(bundle, child.pid)
    assert record["exe_deleted"] is True
    assert record["exe"] == str(binary)
    assert {"exe-deleted", "exe-in-hidden-dir", "exe-in-writable-dir"} <= set(record["flags"])
    assert record["exe_member"] == f"files/proc/{child.pid}/exe"
    assert record["exe_sha256"] == original
    assert hashlib.sha256(member(bundle, record["exe_member"])).hexdigest() == original


def test_a_process_named_like_a_kernel_thread_is_flagged(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", RENAME_TO_KWORKER], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
        bundle = collect_bundle(tmp_path / "b.zip", "processes")
    finally:
        stop(child)
    record = by_pid(bundle, child.pid)
    assert record["name"] == "kworker/0:2"
    assert "kernel-thread-imitation" in record["flags"]
    kernel_threads = [r for r in records(bundle, "process") if r["pid"] == 2]
    if kernel_threads:  # kthreadd, where the pid namespace shows it
        assert "kernel-thread-imitation" not in kernel_threads[0]["flags"]


def test_non_utf8_argv_survives(tmp_path: Path) -> None:
    argv0 = b"/tmp/\xff\xfeminer"
    argv = [argv0, b"-c", b"import time; time.sleep(120)", b"--pool=\xe9"]
    child = subprocess.Popen(argv, executable=sys.executable)
    try:
        wait_for(
            lambda: Path(f"/proc/{child.pid}/cmdline").read_bytes().startswith(argv0),
            "the child's exec",
        )
        bundle = collect_bundle(tmp_path / "b.zip", "processes")
    finally:
        stop(child)
    record = by_pid(bundle, child.pid)
    assert [encode_host(arg) for arg in record["cmdline"]] == argv


def test_each_exe_is_hashed_once_and_shared(tmp_path: Path) -> None:
    children = [subprocess.Popen([SLEEP, "120"]) for _ in range(3)]
    try:
        for child in children:
            wait_for(lambda c=child: exe_link(c.pid) != exe_link(os.getpid()), "exec of sleep")
        bundle = collect_bundle(tmp_path / "b.zip", "processes")
    finally:
        stop(*children)
    expected = hashlib.sha256(Path(os.path.realpath(SLEEP)).read_bytes()).hexdigest()
    assert {by_pid(bundle, c.pid)["exe_sha256"] for c in children} == {expected}
    summary = next(e for e in log_entries(bundle) if e["step"] == "processes")
    distinct = {r["exe"] for r in records(bundle, "process") if r["exe_sha256"]}
    assert summary["detail"]["distinct_exes"] <= len(distinct)


def test_cpu_is_sampled_for_all_processes_over_one_interval(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([SLEEP, "120"])
    busy = subprocess.Popen(
        [sys.executable, "-c", "print('ready', flush=True)\nwhile True: pass"],
        stdout=subprocess.PIPE,
    )
    try:
        assert busy.stdout is not None and busy.stdout.readline() == b"ready\n"
        options = {"processes": {"cpu_interval": 0.3, "probe_hidden": False}}
        bundle = collect_bundle(tmp_path / "b.zip", "processes", options=options)
    finally:
        stop(sleeper, busy)
    assert by_pid(bundle, sleeper.pid)["cpu_percent"] == 0
    assert by_pid(bundle, busy.pid)["cpu_percent"] > 0
    assert by_pid(bundle, os.getpid())["cpu_percent"] is not None


def test_hidden_pid_probe_finds_a_process_left_out_of_the_listing(tmp_path: Path) -> None:
    """A readdir-hooking rootkit cannot be loaded in a test: the listing it would censor is
    simulated by leaving one live pid out; the probing itself runs against the real /proc."""
    child = subprocess.Popen([SLEEP, "120"])
    threaded = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import threading,time; threading.Thread(target=time.sleep,"
            "args=(120,),daemon=True).start(); print('ready',flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert threaded.stdout is not None and threaded.stdout.readline() == b"ready\n"
        with (tmp_path / "b.zip").open("wb") as sink:
            writer = EvidenceWriter(sink, command_line=["t"])
            procfs = ProcFS(Context(writer=writer))
            censored = set(procfs.pids()) - {child.pid}
            upto = max(child.pid, threaded.pid) + 100
            probe = probe_hidden_pids(
                procfs, censored, probe_order(upto, upto), relist=lambda: sorted(censored)
            )
            writer.close(complete=True)
    finally:
        stop(child, threaded)
    assert probe.complete and probe.probed == upto
    assert child.pid in probe.hidden
    tids = {int(t) for t in os.listdir(f"/proc/{os.getpid()}/task")}
    assert not tids - {os.getpid()} & set(probe.hidden), "threads are not hidden processes"
    assert threaded.pid not in probe.hidden


def test_hidden_probe_runs_in_a_real_collection_and_is_logged(tmp_path: Path) -> None:
    options = {"processes": {"cpu_interval": 0.0}}
    bundle = collect_bundle(tmp_path / "b.zip", "processes", options=options)
    probe = next(e for e in log_entries(bundle) if e["step"] == "probe-hidden-pids")
    assert probe["detail"]["hidden"] == []
    assert probe["detail"]["probed_up_to"] >= max(r["pid"] for r in records(bundle, "process"))


DOCKER_ID = "4f" * 32


def stat_line(pid: int, name: str, ppid: int, *, flags: int = 0, vsize: int = 8192) -> str:
    fields = [
        "S",
        str(ppid),
        "0",
        "0",
        "0",
        "-1",
        str(flags),
        *["0"] * 4,
        "150",
        "50",
        *["0"] * 4,
        "1",
        "0",
        "4200",
        str(vsize),
        "3",
        *["0"] * 27,
    ]
    return f"{pid} ({name}) " + " ".join(fields) + "\n"


def fixture_host(tmp_path: Path) -> tuple[Path, Path]:
    root = write_tree(
        tmp_path / "root",
        {
            "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\n"
            "mallory:x:1001:1001::/home/m:/bin/sh\n",
            "/tmp/.x/xmrig": b"\x7fELF fake miner for the fixture",
        },
    )
    proc = write_tree(
        tmp_path / "proc",
        {
            "stat": "cpu 1 2 3\nbtime 1700000000\n",
            "1/stat": stat_line(1, "systemd", 0),
            "1/status": "Name:\tsystemd\nTgid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n",
            "1/cmdline": b"/sbin/init\0splash\0",
            "1/cgroup": "0::/init.scope\n",
            "42/stat": stat_line(42, "[kswapd0]) x (", 1),
            "42/status": "Tgid:\t42\nUid:\t1001\t1001\t1001\t1001\nGid:\t1001\t1001\t1001\t1001\n",
            "42/cmdline": b"[kswapd0]\0",
            "42/environ": b"HOME=/\0LD_PRELOAD=/tmp/.x/libhide.so\0",
            "42/cgroup": f"0::/system.slice/docker-{DOCKER_ID}.scope\n",
            "43/stat": b"43 (garbage\xff",
        },
    )
    (proc / "42" / "ns").mkdir()
    (proc / "42" / "ns" / "net").symlink_to("net:[4026532000]")
    # A procfs copy resolves its links inside itself (a link out of it would be an escape).
    write_tree(proc, {"/tmp/.x/xmrig": b"\x7fELF fake miner for the fixture"})
    (proc / "42" / "exe").symlink_to("/tmp/.x/xmrig")
    (proc / "42" / "cwd").symlink_to("/tmp/.x")
    return root, proc


def test_fixture_procfs_is_read_like_a_live_one(tmp_path: Path) -> None:
    root, proc = fixture_host(tmp_path)
    bundle = collect_bundle(tmp_path / "b.zip", "processes", root=root, proc=proc)
    found = {r["pid"]: r for r in records(bundle, "process")}
    assert sorted(found) == [1, 42]
    init, miner = found[1], found[42]
    assert init["cmdline"] == ["/sbin/init", "splash"]
    assert init["user"] == "root"
    assert init["start_time"] == utc_iso(1_700_000_000 + 4200 / os.sysconf("SC_CLK_TCK"))
    assert miner["name"] == "[kswapd0]) x ("
    assert miner["user"] == "mallory"
    assert miner["ppid"] == 1
    assert miner["threads"] == 1
    assert miner["vms"] == 8192
    assert miner["ld_preload"] == "/tmp/.x/libhide.so"
    assert miner["container_id"] == DOCKER_ID
    assert miner["container_runtime"] == "docker"
    assert miner["namespaces"] == {"net": 4026532000}
    assert miner["cwd"] == "/tmp/.x"
    assert miner["exe_sha256"] == hashlib.sha256(b"\x7fELF fake miner for the fixture").hexdigest()
    assert "kernel-thread-imitation" in miner["flags"]
    assert "exe-in-hidden-dir" in miner["flags"]
    errors = [e for e in log_entries(bundle) if e["step"] == "parse"]
    assert [e["detail"]["path"] for e in errors] == ["/proc/43/stat"]


def test_probe_order_takes_the_newest_pids_first() -> None:
    assert list(probe_order(3, 6)) == [3, 2, 1, 6, 5, 4]
    assert list(probe_order(6, 6)) == [6, 5, 4, 3, 2, 1]


def test_parse_stat_reads_names_with_parentheses() -> None:
    parsed = parse_stat(stat_line(7, "a) (b", 3, flags=0x00200000, vsize=0).encode())
    assert (parsed.name, parsed.ppid, parsed.task_flags, parsed.vsize) == ("a) (b", 3, 0x200000, 0)
    with pytest.raises(ValueError):
        parse_stat(b"7 no parentheses")


def test_a_process_read_through_its_directory_is_never_another_one(tmp_path: Path) -> None:
    """`ProcFS.process(pid)` reads through the /proc/PID directory opened once: the same bytes
    as whole paths, and once the process is gone they fail (ESRCH), as they would if its pid
    were reused, instead of reading whichever process has it now."""
    child = subprocess.Popen([SLEEP, "120"])
    try:
        with (tmp_path / "b.zip").open("wb") as sink:
            writer = EvidenceWriter(sink, command_line=["t"])
            procfs = ProcFS(Context(writer=writer))
            wait_for(lambda: procfs.read(child.pid, "cmdline"), "the child's exec of sleep")
            whole = procfs.read(child.pid, "cmdline"), procfs.readlink(child.pid, "ns", "net")
            with procfs.process(child.pid) as proc:
                inside = proc.read("cmdline"), proc.readlink("ns/net")
                stop(child)
                gone = proc.read("status"), proc.readlink("cwd"), proc.stat("exe")
            writer.close(complete=True)
    finally:
        stop(child)
    assert inside == whole and whole[0] == f"{SLEEP}\x00120\x00".encode()
    assert gone == (None, None, None)


def test_a_process_gone_before_its_directory_opens_reads_as_gone(tmp_path: Path) -> None:
    """No whole-path fallback once the directory cannot be opened (a reused pid would answer
    it): every field is None, and a gone process is not counted as denied or failed."""
    child = subprocess.Popen([SLEEP, "120"])
    stop(child)
    with (tmp_path / "b.zip").open("wb") as sink:
        writer = EvidenceWriter(sink, command_line=["t"])
        procfs = ProcFS(Context(writer=writer))
        with procfs.process(child.pid) as proc:
            fields = proc.read("status"), proc.readlink("cwd"), proc.stat("exe")
            namespaces = proc.link_inodes((("net", "ns/net"),))
        writer.close(complete=True)
    assert fields == (None, None, None) and namespaces == {}
    assert not procfs.denied and not procfs.failed


def test_a_procfs_without_a_boot_time_says_so_and_gives_no_start_times(tmp_path: Path) -> None:
    root, proc = fixture_host(tmp_path)
    (proc / "stat").write_text("cpu 1 2 3\nbtime soon\n")
    bundle = collect_bundle(tmp_path / "b.zip", "processes", root=root, proc=proc)
    assert {r["start_time"] for r in records(bundle, "process")} == {None}
    said = [e for e in log_entries(bundle) if e["step"] == "read-proc"]
    assert [(e["outcome"], e["detail"]["field"]) for e in said] == [("partial", "stat")]


def test_a_record_read_from_a_procfs_copy_is_capped_and_denied_like_a_whole_path(
    tmp_path: Path,
) -> None:
    """`ProcessDir` on a procfs copy: a 1 TiB environ stops at the cap and is counted, an
    unreadable status is counted under its field, as `ProcFS.read` counts them."""
    proc = tmp_path / "proc"
    sparse(proc / "42" / "environ", 1 << 40)
    (proc / "42" / "status").mkdir()  # a directory where a file should be: not regular
    limits = Limits(proc_read_bytes=1 << 16)
    with host_context(tmp_path / "b.zip", root=tmp_path, proc=proc, limits=limits) as ctx:
        procfs = ProcFS(ctx)
        with procfs.process(42) as proc_dir:
            environ, status = proc_dir.read("environ"), proc_dir.read("status")
    assert environ is not None and len(environ) == 1 << 16
    assert status is None
    assert procfs.capped == {"environ": [42]}
    assert list(procfs.failed) == ["status"]
