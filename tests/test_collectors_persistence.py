"""The persistence collector on a fixture root: every location, a clean root, corrupt files."""

import os
from pathlib import Path

from collecting import collect_bundle, log_entries, member, records
from persistence_fixture import EXPECTED, FILES, build_root

from irkit.lossless import encode_host


def entries(bundle: Path) -> set[tuple[str, str, int | None, str | None]]:
    return {
        (r["mechanism"], r["source"], r["line"], r["command"])
        for r in records(bundle, "persistence")
    }


def test_every_location_is_found_with_file_line_and_command(tmp_path: Path) -> None:
    root = build_root(tmp_path / "root")
    bundle = collect_bundle(tmp_path / "b.zip", "persistence", root=root)
    assert entries(bundle) == EXPECTED
    by_key = {(r["source"], r["line"]): r for r in records(bundle, "persistence")}
    miner = by_key[("/etc/cron.d/miner", 1)]
    assert (miner["owner"], miner["schedule"]) == ("root", "*/5 * * * *")
    assert member(bundle, miner["member"]) == FILES["/etc/cron.d/miner"].encode()
    assert miner["sha256"] and miner["mtime"].endswith("Z") and miner["ctime"].endswith("Z")
    assert by_key[("/var/spool/cron/crontabs/alice", 1)]["owner"] == "alice"
    unit = by_key[("/etc/systemd/system/miner.service", 5)]
    assert (unit["owner"], unit["schedule"]) == ("alice", "WantedBy=multi-user.target")
    assert by_key[("/etc/systemd/system/backup.timer", 2)]["schedule"] == "OnCalendar=daily"
    at = by_key[("/var/spool/cron/atjobs/a0000101a2b3c4", 11)]
    assert at["schedule"] == "2022-03-04T14:28:00.000000Z"
    assert by_key[("/etc/systemd/system/ctrl-alt-del.target", None)]["detail"]["masked"] is True
    assert by_key[("/home/alice/.zshrc", 1)]["owner"] == "alice"
    key = by_key[("/root/.ssh/authorized_keys", 2)]
    assert key["detail"]["fingerprint"].startswith("SHA256:")
    assert key["detail"]["comment"] == "attacker"
    assert by_key[("/etc/cron.monthly/kworker", None)]["detail"]["elf"] is True


def test_a_non_utf8_file_name_survives_into_records_and_bundle(tmp_path: Path) -> None:
    root = build_root(tmp_path / "root")
    bundle = collect_bundle(tmp_path / "b.zip", "persistence", root=root)
    record = next(r for r in records(bundle, "persistence") if r["source"].endswith("-job"))
    assert encode_host(record["source"]) == b"/etc/cron.d/\xff-job"
    assert encode_host(record["command"]) == b"/opt/\xe9/run.sh"
    assert member(bundle, record["member"]) == b"@reboot root /opt/\xe9/run.sh\n"


def test_a_clean_root_yields_only_what_it_holds(tmp_path: Path) -> None:
    root = build_root(
        tmp_path / "root",
        {
            "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
            "/etc/crontab": "# nothing scheduled\n",
            "/etc/systemd/system/ok.service": "[Unit]\nDescription=no exec\n",
        },
    )
    bundle = collect_bundle(tmp_path / "b.zip", "persistence", root=root)
    assert entries(bundle) == set()
    empty = collect_bundle(tmp_path / "e.zip", "persistence", root=tmp_path / "nothing")
    assert entries(empty) == set()


def test_corrupt_files_are_logged_and_the_rest_still_parsed(tmp_path: Path) -> None:
    root = build_root(
        tmp_path / "root",
        {
            "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\n\xff garbage line\n",
            "/etc/cron.d/garbage": bytes(range(256)) * 4,
            "/etc/cron.d/good": "0 0 * * * root /bin/true\n",
            "/etc/systemd/system/cut.service": "[Service]\nExecStart=/usr/bin/ok\n[Inst",
            "/root/.ssh/authorized_keys": "ssh-rsa !!!not-base64!!! x\n",
            "/var/spool/cron/atjobs/a0000201a2b3c4": "not an at job\n",
            "/etc/udev/rules.d/10-x.rules": b"\x00\x01\x02\n",
        },
    )
    os.mkfifo(root / "etc/cron.d/fifo")
    bundle = collect_bundle(tmp_path / "b.zip", "persistence", root=root)
    assert entries(bundle) == {
        ("cron", "/etc/cron.d/good", 1, "/bin/true"),
        ("systemd", "/etc/systemd/system/cut.service", 2, "/usr/bin/ok"),
    }
    logged = {
        (e["step"], e["detail"].get("path"), e["detail"].get("line"))
        for e in log_entries(bundle)
        if e["outcome"] in ("warning", "error")
    }
    assert ("parse", "/etc/cron.d/garbage", None) in logged  # binary content
    assert ("parse", "/etc/systemd/system/cut.service", 3) in logged
    assert ("parse", "/root/.ssh/authorized_keys", 1) in logged
    assert ("parse", "/var/spool/cron/atjobs/a0000201a2b3c4", 1) in logged
    assert ("copy", "/etc/cron.d/fifo", None) in logged, "a FIFO is refused, never opened"
