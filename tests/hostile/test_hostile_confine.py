"""Issue 10, points 5-9 (read side): a hostile root or procfs never leads irkit's reads out of
it, never makes it open a device or FIFO, never makes a read endless, never mixes the
analyst's machine into the bundle, and never has irkit read its own output.

Every test plants the attack in a fixture tree under tmp and asserts on what it planted.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from irkit.collectors.procfs import ProcFS
from irkit.confined import STEPS, NotRegularFile, forget_dirs, open_in_root, resolve_in_root
from irkit.hunt.files import FileScanOptions, walk_files
from irkit.hunt.rules import RuleError, compile_rules
from irkit.limits import Limits
from irkit.playbook import HuntStep, load_playbook
from irkit.triage import Triage
from tests.collecting import collect_bundle, log_entries, records
from tests.conftest import irkit_env
from tests.hostfixtures import write_tree
from tests.hostile.confine_helpers import (
    MADE_UP_MAJOR,
    bundle_bytes,
    endless_fifo,
    host_context,
    log_of,
    mknod_char,
    sparse,
)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")


def marker_outside(tmp_path: Path) -> tuple[Path, bytes]:
    """A file of the analyst's, outside every fixture tree, with a unique marker."""
    marker = f"ANALYST-SECRET-{uuid.uuid4().hex}".encode()
    secret = tmp_path / "outside" / "secret"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(marker + b"\n")
    return secret, marker


# --- 6: every read resolves inside --root and --proc ---------------------------------------


def test_proc_copy_link_out_of_it_is_never_copied(tmp_path: Path) -> None:
    """Point 6: proc/1/environ -> the analyst's file, proc/2 -> the analyst's directory,
    proc/version -> the analyst's file: the bundle holds none of it."""
    secret, marker = marker_outside(tmp_path)
    root = write_tree(tmp_path / "root", {"etc/hostname": "fixture\n"})
    proc = write_tree(
        tmp_path / "proc",
        {"1/stat": "1 (init) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 1 8192 1\n"},
    )
    (proc / "1" / "environ").symlink_to(secret)
    (proc / "1" / "cmdline").symlink_to("../../outside/secret")
    (proc / "2").symlink_to(secret.parent)
    (proc / "version").symlink_to(secret)
    bundle = collect_bundle(tmp_path / "b.zip", "processes", "host", root=root, proc=proc)
    assert marker not in bundle_bytes(bundle)


def test_proc_copy_exe_link_is_resolved_inside_the_copy(tmp_path: Path) -> None:
    """Point 6: the exe of a process in a procfs copy is looked up in the copy."""
    root = write_tree(tmp_path / "root", {})
    proc = write_tree(tmp_path / "proc", {"usr/bin/inside": b"inside"})
    (proc / "7").mkdir()
    (proc / "7" / "exe").symlink_to("/usr/bin/inside")
    with host_context(tmp_path / "b.zip", root=root, proc=proc) as ctx:
        assert ctx.proc_path(7, "exe") == proc / "usr/bin/inside"
        copied = ctx.copy_proc_file(7, "exe")
        assert copied is not None and copied.data == b"inside"


def test_link_loops_in_a_proc_copy_are_logged_skips(tmp_path: Path) -> None:
    """Points 6/3: exe in a link loop, cwd through a file used as a directory: the process
    is still collected, the collector does not die."""
    root = write_tree(tmp_path / "root", {})
    proc = write_tree(
        tmp_path / "proc",
        {
            "42/stat": "42 (x) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 1 8192 1\n",
            "42/status": "Tgid:\t42\nUid:\t0\t0\t0\t0\n",
            "file": "x",
        },
    )
    (proc / "loop").symlink_to("/loop")
    (proc / "42" / "exe").symlink_to("/loop/x")
    (proc / "42" / "cwd").symlink_to("/file/../..")
    bundle = collect_bundle(tmp_path / "b.zip", "processes", root=root, proc=proc)
    assert [r["pid"] for r in records(bundle, "process")] == [42]


def test_paths_hunt_never_walks_out_of_the_root(tmp_path: Path, run_irkit) -> None:
    """Point 6: /home/x -> (the analyst's dir) and /home/y -> ../../outside in the root; the
    agent-workspace style hunt `/home/*/` must scan only the root's own homes."""
    secret, marker = marker_outside(tmp_path)
    root = write_tree(
        tmp_path / "root",
        {"etc/hostname": "fixture\n", "home/z/notes.txt": b"ANALYST-SECRET-inside-the-root\n"},
    )
    (root / "home" / "x").symlink_to(secret.parent)
    (root / "home" / "y").symlink_to("../../outside")
    rules = tmp_path / "marker.yar"
    rules.write_text('rule marker { strings: $m = "ANALYST-SECRET-" condition: $m }\n')
    book = tmp_path / "paths.yaml"
    book.write_text(
        "name: paths-only\ncollectors:\n  host: {}\n"
        'hunts:\n  - name: workspace\n    targets: paths\n    paths: ["/home/*/"]\n'
    )
    out = tmp_path / "case.zip"
    done = run_irkit("triage", "-p", book, "--rules", rules, "--root", root, "-o", out, "-q")
    assert out.exists(), done.stderr.decode()
    hits = [e for e in log_entries(out) if e["step"] == "yara-hit"]
    assert [h["detail"]["target"] for h in hits] == [str(root / "home/z/notes.txt")]
    assert marker not in bundle_bytes(out)


def test_read_host_link_resolves_its_directory_inside_the_root(tmp_path: Path) -> None:
    """Point 6: /etc -> the analyst's directory holding a localtime link: the time zone
    read must not come from it."""
    analyst_etc = tmp_path / "outside" / "etc"
    analyst_etc.mkdir(parents=True)
    (analyst_etc / "localtime").symlink_to("/usr/share/zoneinfo/Analyst/Secret")
    root = tmp_path / "root"
    root.mkdir()
    (root / "etc").symlink_to(analyst_etc)
    with host_context(tmp_path / "b.zip", root=root) as ctx:
        assert ctx.read_host_link("/etc/localtime") is None
    (root / "etc").unlink()
    (root / "etc").mkdir()
    (root / "etc" / "localtime").symlink_to("/usr/share/zoneinfo/Europe/Berlin")
    with host_context(tmp_path / "c.zip", root=root) as ctx:
        assert ctx.read_host_link("/etc/localtime") == "/usr/share/zoneinfo/Europe/Berlin"


# --- 7: regular files only, checked before open ---------------------------------------------


@needs_root
def test_device_at_crontab_never_reaches_the_driver(tmp_path: Path) -> None:
    """Point 7: a device node of a major no driver claims: opening it would say ENXIO.
    The refusal names the file type instead, so open was never called."""
    root = tmp_path / "root"
    mknod_char(root / "etc" / "crontab", MADE_UP_MAJOR, 0)
    bundle = collect_bundle(tmp_path / "b.zip", "persistence", root=root, proc=tmp_path)
    refused = [e for e in log_entries(bundle) if e["detail"].get("path") == "/etc/crontab"]
    assert refused, "the device at /etc/crontab is not in the log"
    assert all("No such device" not in (e["error"] or "") for e in refused)
    assert {e["detail"].get("file_type") for e in refused} == {"character device"}


def test_fifo_and_dangling_link_are_recorded_as_what_they_are(tmp_path: Path) -> None:
    """Point 7: a FIFO and a dangling symlink at persistence paths are named as such."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    os.mkfifo(root / "etc" / "crontab")
    (root / "etc" / "rc.local").symlink_to("/nowhere/rc.local")
    with host_context(tmp_path / "b.zip", root=root) as ctx:
        assert ctx.copy_host_file("/etc/crontab") is None
        assert ctx.copy_host_file("/etc/rc.local") is None
        kinds = {e["path"]: e.get("file_type") for e in log_of(ctx) if e["step"] == "copy"}
    assert kinds == {"/etc/crontab": "FIFO", "/etc/rc.local": "dangling symlink"}


def test_fifo_yara_include_fails_the_compile_instead_of_hanging(tmp_path: Path) -> None:
    """Point 7: `include "fifo.yar"` where fifo.yar is a FIFO nobody writes: libyara's
    own open would block forever. The subprocess's timeout only guards the suite."""
    os.mkfifo(tmp_path / "fifo.yar")
    main = tmp_path / "main.yar"
    main.write_text('include "fifo.yar"\nrule main { condition: true }\n')
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from irkit.hunt.rules import RuleError, compile_rules\n"
        f"try:\n    compile_rules(Path({str(main)!r}))\n"
        "except RuleError as exc:\n    print(exc)\n    sys.exit(7)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, env=irkit_env(), timeout=120
    )
    assert done.returncode == 7, done.stderr.decode()
    assert b"FIFO" in done.stdout


def test_regular_yara_include_still_compiles(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "inc.yar").write_text('include "sub/leaf.yar"\nrule inc { condition: true }\n')
    (tmp_path / "sub" / "leaf.yar").write_text("rule leaf { condition: true }\n")
    main = tmp_path / "rules" / "main.yar"
    main.parent.mkdir()
    main.write_text('include "../inc.yar"\nrule main { condition: true }\n')
    ruleset = compile_rules(main)
    assert sorted(m.rule for m in ruleset.rules.match(data=b"x")) == ["inc", "leaf", "main"]
    main.write_text('include "../missing.yar"\nrule main { condition: true }\n')
    with pytest.raises(RuleError, match=r"missing\.yar"):
        compile_rules(main)


# --- 9 (read side): bounded everywhere -------------------------------------------------------


def test_sparse_terabyte_crontab_is_copied_up_to_the_cap(tmp_path: Path) -> None:
    """Point 9: `truncate -s 1T /etc/crontab`; the copy stops at limits.copy_bytes."""
    root = tmp_path / "root"
    sparse(root / "etc" / "crontab", 1 << 40)
    with host_context(tmp_path / "b.zip", root=root, limits=Limits(copy_bytes=1 << 20)) as ctx:
        copied = ctx.copy_host_file("/etc/crontab")
    assert copied is not None
    assert copied.record.size == 1 << 20


@needs_root
def test_dev_zero_as_environ_in_a_proc_copy_is_refused(tmp_path: Path) -> None:
    """Point 9/7: a char device 1:5 (/dev/zero) as a process's environ: not a regular file."""
    proc = tmp_path / "proc"
    mknod_char(proc / "42" / "environ", 1, 5)
    with host_context(tmp_path / "b.zip", root=tmp_path, proc=proc) as ctx:
        procfs = ProcFS(ctx)
        assert procfs.read(42, "environ") is None
        assert procfs.failed["environ"] == [
            "42: NotRegularFile: not a regular file: character device"
        ]


def test_endless_fifo_as_environ_never_loops(tmp_path: Path) -> None:
    """Point 9/7: a FIFO a thread feeds forever: refused, never read."""
    proc = tmp_path / "proc"
    with (
        endless_fifo(proc / "42" / "environ"),
        host_context(tmp_path / "b.zip", root=tmp_path, proc=proc) as ctx,
    ):
        procfs = ProcFS(ctx)
        assert procfs.read(42, "environ") is None
        assert "FIFO" in procfs.failed["environ"][0]


def test_proc_read_stops_at_the_cap_and_says_so(tmp_path: Path) -> None:
    """Point 9: a 1 TiB environ is read up to limits.proc_read_bytes and the log names it."""
    proc = tmp_path / "proc"
    sparse(proc / "42" / "environ", 1 << 40)
    limits = Limits(proc_read_bytes=1 << 16)
    with host_context(tmp_path / "b.zip", root=tmp_path, proc=proc, limits=limits) as ctx:
        procfs = ProcFS(ctx)
        data = procfs.read(42, "environ")
        procfs.log_unreadable()
        capped = [e for e in log_of(ctx) if e.get("cap") == "proc_read_bytes"]
    assert data is not None and len(data) == 1 << 16
    assert [e["pids"] for e in capped] == [[42]]


def resolution_steps(root: Path, host_path: str) -> int:
    before = STEPS.count
    resolve_in_root(root, host_path)
    return STEPS.count - before


def test_crafted_home_resolves_in_linear_steps(tmp_path: Path) -> None:
    """Point 9: a passwd home `/a/../a/../...` of thousands of components (2.8 s per user
    before): the resolver examines each component a bounded number of times."""
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    steps = {}
    for count in (2500, 5000):
        home = "/a/.." * count + "/a"
        steps[count] = resolution_steps(root, home + "/.bash_history")
    assert steps[5000] <= 2 * (2 * 5000 + 3)
    assert steps[5000] <= 2 * steps[2500] + 4


def test_link_chain_resolves_in_bounded_steps(tmp_path: Path) -> None:
    """Point 9: 40 links each naming a long path: bounded by the links' own lengths."""
    root = tmp_path / "root"
    (root / "d").mkdir(parents=True)
    for i in range(39):
        (root / f"l{i}").symlink_to("/d/.." * 100 + f"/l{i + 1}")
    (root / "l39").symlink_to("/d")
    assert resolve_in_root(root, "/l0") == root / "d"
    assert resolution_steps(root, "/l0/x") <= 40 * (2 * 100 + 2) + 2
    forget_dirs()
    (root / "l39").unlink()
    (root / "l39").symlink_to("/l40")
    (root / "l40").symlink_to("/d")
    with pytest.raises(OSError):
        resolve_in_root(root, "/l0/x")


def test_crafted_passwd_homes_are_collected(tmp_path: Path) -> None:
    """Point 9 end to end: the accounts collector over a passwd of crafted homes."""
    home = "/a/.." * 5000 + "/home/u"
    passwd = "".join(f"u{i}:x:{1000 + i}:1000::{home}{i}:/bin/sh\n" for i in range(20))
    root = write_tree(tmp_path / "root", {"etc/passwd": passwd, "home/u3/.bash_history": "ls\n"})
    (root / "a").mkdir()
    before = STEPS.count
    bundle = collect_bundle(tmp_path / "b.zip", "accounts", root=root, proc=tmp_path)
    assert STEPS.count - before <= 20 * 12 * (2 * 5000 + 10)
    assert any(r.get("path") == "/home/u3/.bash_history" for r in records(bundle, "file")) or (
        b"ls\n" in bundle_bytes(bundle)
    )


# --- 5: --root never mixes two hosts ---------------------------------------------------------


def test_root_without_proc_collects_no_live_state(tmp_path: Path, run_irkit) -> None:
    """Point 5: `collect --root` without --proc: no process, socket or kernel of the
    analyst's machine (this test's own pid is absent); identity from the root's files."""
    root = write_tree(
        tmp_path / "root",
        {"etc/hostname": "fixture-host\n", "etc/machine-id": "f" * 32 + "\n"},
    )
    out = tmp_path / "b.zip"
    done = run_irkit(
        "collect", "--root", root, "-c", "host,processes,sockets,modules", "-o", out, "-q"
    )
    assert done.returncode == 0, done.stderr.decode()
    assert records(out, "process") == [] and records(out, "socket") == []
    (host,) = records(out, "host")
    assert host["hostname"] == "fixture-host"
    assert host["machine_id"] == "f" * 32
    assert host["boot_id"] is None and host["kernel_release"] is None
    assert f'"pid": {os.getpid()}'.encode() not in bundle_bytes(out)
    skipped = {e["collector"] for e in log_entries(out) if "no --proc with --root" in str(e)}
    assert {"host", "processes", "sockets", "modules"} <= skipped
    manifest = __import__("json").loads(__import__("zipfile").ZipFile(out).read("manifest.json"))
    assert "not collected" in manifest["host"]["live_state"]


# --- 8 (read side): irkit never reads its own output ----------------------------------------


def test_own_output_is_skipped_by_inode(tmp_path: Path) -> None:
    """Point 8: a file whose inode is in writer.excluded_inodes (the bundle being written)
    is neither copied nor walked by a hunt."""
    root = write_tree(tmp_path / "root", {"etc/cron.d/out.zip": b"PK bundle", "etc/cron.d/x": "x"})
    own = (root / "etc/cron.d/out.zip").stat()
    with host_context(tmp_path / "b.zip", root=root) as ctx:
        ctx.writer.excluded_inodes.add((own.st_dev, own.st_ino))
        assert ctx.copy_host_file("/etc/cron.d/out.zip") is None
        assert ctx.copy_host_file("/etc/cron.d/x") is not None
        skips = [e for e in log_of(ctx) if "irkit's own output" in (e["error"] or "")]
        assert [(e["outcome"], e["path"]) for e in skips] == [("skipped", "/etc/cron.d/out.zip")]
        options = FileScanOptions(exclude_inodes=frozenset(ctx.excluded))
        walked = [path for path, _ in walk_files([root / "etc"], options)]
    assert walked == [str(root / "etc/cron.d/x")]


def test_open_in_root_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFile) as caught:
        open_in_root(tmp_path, "/")
    assert caught.value.file_type == "directory"


def test_persistence_hunt_skips_own_output(tmp_path: Path) -> None:
    """Point 8: a persistence target that is the bundle being written is not scanned."""
    root = write_tree(tmp_path / "root", {"etc/cron.d/out.zip": b"PK", "etc/cron.d/job": "x"})
    own = (root / "etc/cron.d/out.zip").stat()
    triage = Triage(load_playbook("quick"), compile_rules(), lambda text: None)
    step = HuntStep(name="persistence", targets="persistence-targets")
    found = [
        {"type": "persistence", "source": "/etc/cron.d/out.zip"},
        {"type": "persistence", "source": "/etc/cron.d/job"},
    ]
    with host_context(tmp_path / "b.zip", root=root) as ctx:
        ctx.writer.excluded_inodes.add((own.st_dev, own.st_ino))
        targets = [t.host_path for t in triage.file_targets(ctx, step, found)]
        skips = [e["path"] for e in log_of(ctx) if "irkit's own output" in (e["error"] or "")]
    assert targets == ["/etc/cron.d/job"]
    assert skips == ["/etc/cron.d/out.zip"]
